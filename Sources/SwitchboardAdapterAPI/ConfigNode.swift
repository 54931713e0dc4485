/// A configuration tree that remembers where each value was written, so every problem can be
/// reported as `file:line: message`. Built by the config loader from YAML.
public struct ConfigNode: Sendable {
    public enum Value: Sendable {
        case null
        case scalar(String)
        case list([ConfigNode])
        case map([(key: String, keyLine: Int, value: ConfigNode)])
    }

    public var value: Value
    /// 1-based line of the value in the file.
    public var line: Int

    public init(_ value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    /// A short name of the node's kind for error messages.
    public var kindName: String {
        switch value {
        case .null: "nothing"
        case .scalar: "a single value"
        case .list: "a list"
        case .map: "a mapping"
        }
    }
}

/// One problem found in a configuration file.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `PATH:LINE: message`, the format editors and CI jump to.
    public var description: String { "\(file):\(line): \(message)" }
}
