import Foundation
import SwitchboardAdapterAPI

/// A context provider's `url` with `{placeholder}`s, parsed once.
///
/// A placeholder's value comes from the customer (an address anyone can write from), so it must
/// never change the shape of the URL: each value is percent-encoded as one whole path segment or
/// query value (every character outside `A–Z a–z 0–9 - . _ ~`), and a value that would be a dot
/// segment in the path (`.` or `..`, which clients and servers resolve by walking up) is refused.
/// Placeholders may stand only after the host: the scheme and authority are the operator's.
struct ContextURLTemplate: Sendable {
    enum Part: Sendable, Equatable {
        case literal(String)
        /// A placeholder, and whether it stands in the path (before `?`).
        case placeholder(String, inPath: Bool)
    }

    static let names: Set<String> = ["email", "phone", "customer_id", "name"]

    let parts: [Part]

    /// Parses `template`; each problem is a sentence for the configuration's `url:` key.
    init(_ template: String, problems: inout [String]) {
        var parts: [Part] = []
        var literal = ""
        var inPath = true
        // The end of `scheme://authority`: placeholders before it are refused.
        let authorityEnd: String.Index? = template.range(of: "://").map { scheme in
            template[scheme.upperBound...].firstIndex { "/?#".contains($0) } ?? template.endIndex
        }
        var index = template.startIndex
        while index < template.endIndex {
            let c = template[index]
            if c == "?" || c == "#" { inPath = false }
            if c == "{", let close = template[index...].firstIndex(of: "}") {
                let name = String(template[template.index(after: index)..<close])
                if Self.names.contains(name) {
                    if let authorityEnd, index < authorityEnd {
                        problems.append(
                            "the placeholder {\(name)} stands in the scheme or host; placeholders may stand only in the path or the query")
                    }
                    if !literal.isEmpty { parts.append(.literal(literal)) }
                    literal = ""
                    parts.append(.placeholder(name, inPath: inPath))
                    index = template.index(after: close)
                    continue
                }
                problems.append("unknown placeholder {\(name)} (known: {email}, {phone}, {customer_id}, {name})")
            }
            literal.append(c)
            index = template.index(after: index)
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// The URL for `values` (a missing value is empty), or nil when a path placeholder has no value:
    /// an empty segment (`/customers//orders`) is no lookup of this customer. Throws when a value
    /// would be a dot segment.
    func expand(_ values: [String: String]) throws(ContextFetchError) -> String? {
        var url = ""
        for part in parts {
            switch part {
            case .literal(let text):
                url += text
            case .placeholder(let name, let inPath):
                let value = values[name] ?? ""
                if inPath {
                    if value.isEmpty { return nil }
                    if value == "." || value == ".." {
                        throw ContextFetchError("the customer's {\(name)} '\(value)' cannot stand in a URL path")
                    }
                }
                url += Self.encode(value)
            }
        }
        return url
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters, byte by byte (UTF-8).
    static func encode(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
