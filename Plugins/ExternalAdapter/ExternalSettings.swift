import Foundation
import SwitchboardAdapterAPI

/// The `external` adapter's configuration: which process to run, with what environment, and what
/// to tell it in the `start` message.
public struct ExternalSettings: Sendable {
    /// The program and its arguments; the program is looked up in `PATH` unless it contains a `/`.
    public var command: [String]
    /// The process's working directory; nil: the gateway's.
    public var directory: String?
    /// The process's whole environment: a few harmless variables of the gateway's (PATH, HOME,
    /// locale …), then `env`, then `env_from`. The rest of the gateway's environment holds every
    /// other adapter's and agent's secrets, so it is not inherited.
    public var environment: [String: String]
    /// The `config` mapping, passed to the process in the `start` message.
    public var processConfig: JSONValue
    /// The identity namespace of the addresses the process reports (default: the adapter id).
    public var identityChannel: String
    /// Who may post to `/hooks/{id}`: with `secret_env`, the gateway checks
    /// `X-Switchboard-Signature` (HMAC-SHA256 of the body) before forwarding; with `open: true` it
    /// forwards everything, and the process checks its platform's own signature (Slack's, say).
    public var hookAccess: HookAccess
    /// How long a `deliver` may wait for its `delivered`/`failed` answer before it is retried.
    public var deliverTimeout: Duration
    /// How long a forwarded `/hooks/{id}` request may wait for the process's `response`.
    public var requestTimeout: Duration
    /// How long the process may take to exit after its stdin is closed at shutdown, before it is
    /// sent SIGTERM (and, as long again later, SIGKILL).
    public var stopTimeout: Duration

    /// Variables passed through from the gateway's environment: what interpreters need to start,
    /// none of them a secret.
    static let inherited = ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"]

    /// Settings given directly (tests, embedding); the gateway reads them from the configuration.
    public init(
        command: [String], directory: String? = nil, environment: [String: String] = [:],
        processConfig: JSONValue = .object([:]), identityChannel: String, hookAccess: HookAccess = .open,
        deliverTimeout: Duration = .seconds(30), requestTimeout: Duration = .seconds(10), stopTimeout: Duration = .seconds(3)
    ) {
        self.hookAccess = hookAccess
        self.command = command
        self.directory = directory
        self.environment = environment
        self.processConfig = processConfig
        self.identityChannel = identityChannel
        self.deliverTimeout = deliverTimeout
        self.requestTimeout = requestTimeout
        self.stopTimeout = stopTimeout
    }

    /// Reads and validates the section; problems go to the section's diagnostics. `parentEnvironment`
    /// reads the gateway's environment (for `env_from` and the inherited variables).
    public init(id: String, config: ConfigSection, parentEnvironment: @Sendable (String) -> String?) {
        command = config.stringList("command")
        if command.isEmpty || command[0].isEmpty {
            config.problem(config.has("command") ? "command" : nil, "missing required key 'command' (a list: the program and its arguments)")
        }
        directory = config.string("directory")
        var environment: [String: String] = [:]
        for name in Self.inherited {
            if let value = parentEnvironment(name) { environment[name] = value }
        }
        for (name, value, _) in Self.scalarMap(config, "env") {
            environment[name] = value
        }
        // Secrets come from the gateway's environment by name, never from the file.
        for (name, parentName, line) in Self.scalarMap(config, "env_from") {
            guard let value = parentEnvironment(parentName), !value.isEmpty else {
                config.diagnostics.report(line: line, "\(config.path).env_from.\(name): environment variable \(parentName) is not set")
                continue
            }
            environment[name] = value
        }
        self.environment = environment
        processConfig = config.node("config").map(Self.json) ?? .object([:])
        if case .object = processConfig {} else { config.problem("config", "expected a mapping") }
        identityChannel = config.string("identity") ?? id
        // What the process makes of a forwarded request becomes customer data: never open by omission.
        hookAccess = config.hookAccess()
        deliverTimeout = config.duration("deliver_timeout", default: .seconds(30)) ?? .seconds(30)
        requestTimeout = config.duration("request_timeout", default: .seconds(10)) ?? .seconds(10)
        stopTimeout = config.duration("stop_timeout", default: .seconds(3)) ?? .seconds(3)
    }

    /// A mapping of names to single values (`env`, `env_from`), with each value's line.
    static func scalarMap(_ config: ConfigSection, _ key: String) -> [(String, String, Int)] {
        guard let node = config.node(key) else { return [] }
        guard case .map(let entries) = node.value else {
            config.problem(key, "expected a mapping of variable names to values")
            return []
        }
        return entries.compactMap { entry in
            guard case .scalar(let value) = entry.value.value else {
                config.diagnostics.report(line: entry.keyLine, "\(config.path).\(key).\(entry.key): expected a single value")
                return nil
            }
            return (entry.key, value, entry.keyLine)
        }
    }

    /// The configuration tree as JSON. YAML scalars arrive as strings: the file's typing is not
    /// kept, so the process reads `"5"` and converts it itself.
    static func json(_ node: ConfigNode) -> JSONValue {
        switch node.value {
        case .null: .null
        case .scalar(let s): .string(s)
        case .list(let items): .array(items.map(json))
        case .map(let entries): .object(Dictionary(entries.map { ($0.key, json($0.value)) }, uniquingKeysWith: { a, _ in a }))
        }
    }
}
