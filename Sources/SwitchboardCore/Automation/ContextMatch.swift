import SwitchboardAdapterAPI

/// A test on the customer's context-provider data, written `shop.tier: gold` in the configuration:
/// the provider's id, then a path into its JSON answer, and the values that count as a match.
public struct ContextMatch: Sendable, Equatable {
    /// The context provider's id (`shop`).
    public var provider: String
    /// Object keys (or array indexes) below the provider's answer (`["tier"]`).
    public var path: [String]
    /// Any of these matches, compared without regard to case (numbers and booleans as written).
    public var values: [String]

    public init(provider: String, path: [String], values: [String]) {
        self.provider = provider
        self.path = path
        self.values = values
    }

    /// Reads `provider.path.to.field`; nil when there is no path after the provider.
    public init?(key: String, values: [String]) {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !parts.contains(where: \.isEmpty) else { return nil }
        self.init(provider: parts[0], path: Array(parts.dropFirst()), values: values)
    }

    /// `shop.tier`
    public var key: String { ([provider] + path).joined(separator: ".") }

    /// Whether the data holds one of the values; nil when the provider has no data for this customer
    /// (not fetched, failed): unknown, which never counts as a match.
    public func matches(_ context: [String: JSONValue]) -> Bool? {
        guard let root = context[provider] else { return nil }
        guard let found = value(at: path, in: root) else { return false }
        let wanted = Set(values.map { $0.lowercased() })
        return Self.texts(found).contains { wanted.contains($0.lowercased()) }
    }

    /// What the data holds at the path, as text, for explanations (nil: nothing there).
    public func found(_ context: [String: JSONValue]) -> String? {
        guard let root = context[provider], let found = value(at: path, in: root) else { return nil }
        let texts = Self.texts(found)
        return texts.isEmpty ? nil : texts.joined(separator: ", ")
    }

    private func value(at path: [String], in node: JSONValue) -> JSONValue? {
        var node = node
        for key in path {
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
        return node
    }

    private static func texts(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let s): [s]
        case .integer(let i): [String(i)]
        case .number(let d): [d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)]
        case .bool(let b): [b ? "true" : "false"]
        case .array(let items): items.flatMap(texts)
        case .null, .object: []
        }
    }
}
