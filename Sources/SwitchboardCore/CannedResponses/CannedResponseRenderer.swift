import Foundation
import SwitchboardAdapterAPI

/// What a saved reply's placeholders are filled from: the conversation, its customer, who owns it,
/// who is answering, and the business's own data (context providers).
public struct RenderContext: Sendable, Equatable {
    public var customerName: String?
    public var reference: String
    public var ownerName: String?
    public var agentName: String
    /// The promise the customer was given (first response, else resolution, else call back).
    public var due: Date?
    /// Dates are written in this zone (the owner's, who keeps the promise).
    public var timeZone: TimeZone
    /// Context providers' answers by provider id.
    public var context: [String: JSONValue]

    public init(
        customerName: String?, reference: String, ownerName: String?, agentName: String, due: Date?, timeZone: TimeZone = .gmt,
        context: [String: JSONValue] = [:]
    ) {
        self.customerName = customerName
        self.reference = reference
        self.ownerName = ownerName
        self.agentName = agentName
        self.due = due
        self.timeZone = timeZone
        self.context = context
    }
}

/// A saved reply filled in for one conversation. Where a value is missing the text holds a gap,
/// `⟦customer.name⟧`, listed in `missing`: the agent sees what to write there, and a reply that
/// still holds a gap is refused (``CannedResponseRenderer/gaps(in:)``), so nothing goes out blank
/// or as a raw placeholder.
public struct RenderedResponse: Sendable, Codable, Equatable {
    public var text: String
    public var missing: [String]

    public init(text: String, missing: [String]) {
        self.text = text
        self.missing = missing
    }
}

/// Fills placeholders: `{customer.name}`, `{customer.first_name}`, `{reference}`, `{owner.name}`,
/// `{agent.name}`, `{due}` and `{context.<provider>.<path>}` (a dotted path into the provider's
/// JSON, numbers indexing lists: `{context.shop.orders.0.state}`). Anything else in braces that looks
/// like a placeholder (`{word.word}`) is unknown, hence missing; other braces are text.
public enum CannedResponseRenderer {
    static let gapOpen: Character = "⟦"
    static let gapClose: Character = "⟧"

    public static func render(_ body: String, _ context: RenderContext, language: String? = nil) -> RenderedResponse {
        var text = ""
        var missing: [String] = []
        var rest = Substring(body)
        while let open = rest.firstIndex(of: "{") {
            text += rest[..<open]
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}"), case let name = String(after[..<close]), isPlaceholder(name) else {
                text.append("{")
                rest = after
                continue
            }
            if let value = value(of: name, context, language: language) {
                text += value
            } else {
                text += "\(gapOpen)\(name)\(gapClose)"
                if !missing.contains(name) { missing.append(name) }
            }
            rest = after[after.index(after: close)...]
        }
        text += rest
        return RenderedResponse(text: text, missing: missing)
    }

    /// The unfilled gaps left in a text (`⟦owner.name⟧`), in order.
    public static func gaps(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: gapOpen) {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: gapClose) else { break }
            found.append(String(after[..<close]))
            rest = after[after.index(after: close)...]
        }
        return found
    }

    /// Letters, digits, `_` and `-` in dot-separated parts: what a placeholder looks like.
    static func isPlaceholder(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 200 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
    }

    static func value(of name: String, _ c: RenderContext, language: String?) -> String? {
        func nonEmpty(_ s: String?) -> String? {
            guard let s = s?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty else { return nil }
            return s
        }
        switch name {
        case "customer.name": return nonEmpty(c.customerName)
        case "customer.first_name": return nonEmpty(c.customerName).flatMap { $0.split(separator: " ").first.map(String.init) }
        case "reference": return nonEmpty(c.reference)
        case "owner.name": return nonEmpty(c.ownerName)
        case "agent.name": return nonEmpty(c.agentName)
        case "due": return c.due.map { format($0, zone: c.timeZone, language: language) }
        default:
            guard name.hasPrefix("context.") else { return nil }
            let path = name.dropFirst("context.".count).split(separator: ".").map(String.init)
            guard let provider = path.first, var node = c.context[provider] else { return nil }
            for key in path.dropFirst() {
                switch node {
                case .object(let fields):
                    guard let next = fields[key] else { return nil }
                    node = next
                case .array(let items):
                    guard let index = Int(key), items.indices.contains(index) else { return nil }
                    node = items[index]
                default:
                    return nil
                }
            }
            return scalar(node).flatMap(nonEmpty)
        }
    }

    /// Text for a JSON scalar; objects, lists and null are no value to put in a sentence.
    static func scalar(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .integer(let n): String(n)
        case .number(let d): d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }

    /// `jue 6 jun, 17:30 CEST` in Spanish, `Thu 6 Jun, 17:30 CEST` otherwise.
    static func format(_ date: Date, zone: TimeZone, language: String?) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: language?.lowercased().hasPrefix("es") == true ? "es_ES" : "en_GB")
        formatter.timeZone = zone
        formatter.dateFormat = "EEE d MMM, HH:mm zzz"
        return formatter.string(from: date)
    }
}
