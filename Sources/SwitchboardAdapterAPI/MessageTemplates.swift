import Foundation

/// A pre-approved message a channel lets a business send where free-form text is not allowed
/// (WhatsApp outside its 24-hour window): a name, a language, and a body with numbered
/// placeholders (`{{1}}`, `{{2}}` …) the agent fills.
public struct MessageTemplate: Sendable, Equatable, Codable {
    public var name: String
    /// The language code the template is approved in (`en_US`, `es`).
    public var language: String
    /// The body as approved, with `{{n}}` placeholders; nil when the configuration gave no text.
    public var text: String?
    /// How many parameters the body takes.
    public var parameters: Int

    public init(name: String, language: String, text: String? = nil, parameters: Int? = nil) {
        self.name = name
        self.language = language
        self.text = text
        self.parameters = parameters ?? text.map(Self.placeholderCount) ?? 0
    }

    /// The highest `{{n}}` in `text`.
    public static func placeholderCount(_ text: String) -> Int {
        var highest = 0
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            let after = rest[open.upperBound...]
            guard let close = after.range(of: "}}") else { break }
            if let n = Int(after[..<close.lowerBound].trimmingCharacters(in: .whitespaces)) { highest = max(highest, n) }
            rest = after[close.upperBound...]
        }
        return highest
    }

    /// The body with the parameters in place of `{{1}}`, `{{2}}` …; nil without a known body.
    public func rendered(_ values: [String]) -> String? {
        guard var out = text else { return nil }
        for (i, value) in values.enumerated().reversed() {
            out = out.replacingOccurrences(of: "{{\(i + 1)}}", with: value)
        }
        return out
    }
}

/// A reply that sends a template with its parameters instead of free-form text.
public struct TemplateReply: Sendable, Equatable {
    public var name: String
    public var language: String
    public var parameters: [String]

    public init(name: String, language: String, parameters: [String]) {
        self.name = name
        self.language = language
        self.parameters = parameters
    }

    /// Kept with the reply's message (metadata), so every delivery attempt sends the same template.
    public var metadata: [String: String] {
        let encoded = (try? JSONEncoder().encode(parameters)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return ["template": name, "template_language": language, "template_parameters": encoded]
    }

    /// The template a reply's metadata names, if any.
    public init?(metadata: [String: String]) {
        guard let name = metadata["template"], let language = metadata["template_language"] else { return nil }
        let parameters = metadata["template_parameters"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        self.init(name: name, language: language, parameters: parameters)
    }
}
