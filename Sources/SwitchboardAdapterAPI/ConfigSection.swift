import Synchronization

/// Collects the problems of one configuration file while it is read, so all of them are reported
/// at once instead of one per run.
public final class ConfigDiagnostics: Sendable {
    public let file: String
    private let found = Mutex<[ConfigProblem]>([])

    public init(file: String) { self.file = file }

    public func report(line: Int, _ message: String) {
        found.withLock { $0.append(ConfigProblem(file: file, line: line, message: message)) }
    }

    /// Every problem reported so far, in file order.
    public var problems: [ConfigProblem] {
        found.withLock { $0 }.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }
}

/// A typed reader over one mapping of the configuration. Each key read is marked as known;
/// ``finish()`` reports the keys nobody read as unknown, with their line.
public final class ConfigSection: Sendable {
    /// Where this mapping sits, for messages: `adapters[0]`, `server`.
    public let path: String
    public let line: Int
    public let diagnostics: ConfigDiagnostics
    private let entries: [(key: String, keyLine: Int, value: ConfigNode)]
    private let readKeys = Mutex<Set<String>>([])
    private let environment: @Sendable (String) -> String?

    /// Reads `node` as a mapping; anything else is reported and read as empty.
    public init(
        _ node: ConfigNode, path: String, diagnostics: ConfigDiagnostics,
        environment: @escaping @Sendable (String) -> String?
    ) {
        self.path = path
        self.line = node.line
        self.diagnostics = diagnostics
        self.environment = environment
        switch node.value {
        case .map(let entries): self.entries = entries
        case .null: self.entries = []
        default:
            diagnostics.report(line: node.line, "\(path): expected a mapping, found \(node.kindName)")
            self.entries = []
        }
    }

    public var keys: [String] { entries.map(\.key) }

    /// Reports a problem about this section or one of its keys.
    public func problem(_ key: String? = nil, _ message: String) {
        let line = key.flatMap { k in entries.first { $0.key == k }?.value.line } ?? self.line
        diagnostics.report(line: line, "\(qualified(key)): \(message)")
    }

    public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The raw node of `key`, marked as read.
    public func node(_ key: String) -> ConfigNode? {
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        readKeys.withLock { _ = $0.insert(key) }
        if case .null = entry.value.value { return nil }
        return entry.value
    }

    public func string(_ key: String) -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let s) = node.value else {
            diagnostics.report(line: node.line, "\(qualified(key)): expected a single value, found \(node.kindName)")
            return nil
        }
        return s
    }

    /// A key that must be present; reports it missing otherwise.
    public func requiredString(_ key: String) -> String? {
        guard let s = string(key), !s.isEmpty else {
            if !has(key) { problem(nil, "missing required key '\(key)'") } else { problem(key, "'\(key)' must not be empty") }
            return nil
        }
        return s
    }

    public func int(_ key: String, default value: Int? = nil, range: ClosedRange<Int>? = nil) -> Int? {
        guard let s = string(key) else { return value }
        guard let n = Int(s) else {
            problem(key, "'\(s)' is not a whole number")
            return value
        }
        if let range, !range.contains(n) {
            problem(key, "\(n) is out of range \(range.lowerBound)…\(range.upperBound)")
            return value
        }
        return n
    }

    public func bool(_ key: String, default value: Bool) -> Bool {
        guard let s = string(key) else { return value }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            problem(key, "'\(s)' is not true or false")
            return value
        }
    }

    /// A duration like `24h`, `30m`, `1h30m`, `5s` or `250ms`.
    public func duration(_ key: String, default value: Duration? = nil) -> Duration? {
        guard let s = string(key) else { return value }
        guard let d = DurationParser.parse(s) else {
            problem(key, "'\(s)' is not a duration (use e.g. 250ms, 5s, 30m, 24h, 1h30m)")
            return value
        }
        return d
    }

    /// A string among `allowed`.
    public func choice(_ key: String, _ allowed: [String], default value: String? = nil) -> String? {
        guard let s = string(key) else { return value }
        guard allowed.contains(s) else {
            problem(key, "'\(s)' is not one of \(allowed.joined(separator: ", "))")
            return value
        }
        return s
    }

    public func stringList(_ key: String) -> [String] {
        guard let node = node(key) else { return [] }
        switch node.value {
        case .list(let items):
            return items.compactMap { item in
                if case .scalar(let s) = item.value { return s }
                diagnostics.report(line: item.line, "\(qualified(key)): expected a list of single values")
                return nil
            }
        case .scalar(let s): return [s]
        default:
            diagnostics.report(line: node.line, "\(qualified(key)): expected a list, found \(node.kindName)")
            return []
        }
    }

    /// A nested mapping.
    public func section(_ key: String) -> ConfigSection? {
        guard let node = node(key) else { return nil }
        return ConfigSection(node, path: qualified(key), diagnostics: diagnostics, environment: environment)
    }

    /// A list of mappings.
    public func sections(_ key: String) -> [ConfigSection] {
        guard let node = node(key) else { return [] }
        guard case .list(let items) = node.value else {
            diagnostics.report(line: node.line, "\(qualified(key)): expected a list, found \(node.kindName)")
            return []
        }
        return items.enumerated().map { i, item in
            ConfigSection(item, path: "\(qualified(key))[\(i)]", diagnostics: diagnostics, environment: environment)
        }
    }

    /// A secret named by an `*_env` key: the key holds an environment variable's name, never the
    /// secret. Reports a missing variable, since running without it would silently weaken security.
    public func secret(_ key: String, required: Bool = false) -> String? {
        guard let name = string(key) else {
            if required { problem(nil, "missing required key '\(key)' (the name of an environment variable)") }
            return nil
        }
        guard let value = environment(name), !value.isEmpty else {
            problem(key, "environment variable \(name) is not set")
            return nil
        }
        return value
    }

    /// Reports every key of this mapping that no reader asked for.
    public func finish() {
        let read = readKeys.withLock { $0 }
        for entry in entries where !read.contains(entry.key) {
            diagnostics.report(line: entry.keyLine, "\(path): unknown key '\(entry.key)'")
        }
    }

    private func qualified(_ key: String?) -> String {
        guard let key else { return path }
        return path.isEmpty ? key : "\(path).\(key)"
    }
}
