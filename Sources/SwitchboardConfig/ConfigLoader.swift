import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore

/// A configuration that could not be used, with every problem found.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads `switchboard.yaml`: every section typed, every unknown key an error with its line.
public enum ConfigLoader {
    /// Agents' API tokens are bearer secrets tried from anywhere: 32 random characters (hex: 128
    /// bits) put guessing out of reach even before the gateway's throttle.
    public static let minimumTokenLength = 32

    /// Parses the file and builds its adapters, reporting every problem of both steps at once.
    public static func load(
        path: String, factories: [any ChannelAdapterFactory], providerFactories: [any ContextProviderFactory] = [],
        context: AdapterContext,
        environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }
    ) throws(ConfigError) -> (GatewayConfig, [RegisteredAdapter]) {
        let diagnostics = ConfigDiagnostics(file: path)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(problems: [ConfigProblem(file: path, line: 0, message: "cannot read the configuration file as UTF-8 text")])
        }
        guard var config = parse(text, file: path, diagnostics: diagnostics, environment: environment) else {
            throw ConfigError(problems: diagnostics.problems)
        }
        var adapterContext = context
        adapterContext.publicURL = config.server.publicURL
        do throws(ConfigError) {
            config.contextProviders = buildContextProviders(config, factories: providerFactories, context: adapterContext)
            let adapters = try buildAdapters(config, factories: factories, context: adapterContext)
            let problems = diagnostics.problems
            guard problems.isEmpty else { throw ConfigError(problems: problems) }
            return (config, adapters)
        } catch {
            var seen = Set<String>()
            throw ConfigError(
                problems: (error.problems + diagnostics.problems).filter { seen.insert($0.description).inserted }.sorted { $0.line < $1.line })
        }
    }

    /// Parses and validates the file. Adapters are only described here; ``buildAdapters`` makes them.
    public static func load(
        path: String, environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }
    ) throws(ConfigError) -> GatewayConfig {
        let diagnostics = ConfigDiagnostics(file: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(problems: [ConfigProblem(file: path, line: 0, message: "cannot read the configuration file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(problems: [ConfigProblem(file: path, line: 0, message: "the file is not UTF-8 text")])
        }
        let config = parse(text, file: path, diagnostics: diagnostics, environment: environment)
        let problems = diagnostics.problems
        guard problems.isEmpty, let config else { throw ConfigError(problems: problems) }
        return config
    }

    static func parse(
        _ text: String, file: String, diagnostics: ConfigDiagnostics, environment: @escaping @Sendable (String) -> String?
    ) -> GatewayConfig? {
        guard let node = YAMLReader.read(text, diagnostics: diagnostics) else { return nil }
        let root = ConfigSection(node, path: "", diagnostics: diagnostics, environment: environment)
        var config = GatewayConfig(file: file)
        if let s = root.section("server") { config.server = readServer(s) }
        if let s = root.section("storage") { config.storage = readStorage(s, commitDelay: &config.commitDelay) }
        if let s = root.section("routing") { config.routing = readRouting(s) }
        if let s = root.section("delivery") { config.delivery = readDelivery(s) }
        if let s = root.section("logging") {
            config.logLevel = s.choice("level", ["trace", "debug", "info", "notice", "warning", "error", "critical"], default: "info")!
            s.finish()
        }
        readAgents(root.sections("agents"), into: &config, root: root)
        config.adapters = readAdapters(root.sections("adapters"), agents: config.agents)
        config.contextProviderSpecs = readContextProviders(root.sections("context_providers"))
        readAutomation(root, into: &config)
        readTrust(root, into: &config)
        for adapter in config.adapters { if let rule = adapter.retention { config.retention.perAdapter[adapter.id] = rule } }
        if !root.has("adapters") { root.problem(nil, "no 'adapters' configured: the gateway would receive nothing") }
        root.finish()
        return config
    }

    private static func readServer(_ s: ConfigSection) -> ServerSettings {
        var server = ServerSettings()
        server.host = s.string("host") ?? server.host
        server.port = s.int("port", default: server.port, range: 0...65535)!
        server.publicURL = s.string("public_url") ?? "http://\(server.host):\(server.port)"
        if let size = s.string("max_body") {
            if let bytes = parseSize(size) {
                server.maxBodyBytes = bytes
            } else {
                s.problem("max_body", "'\(size)' is not a size (e.g. 512k, 1m, 25m)")
            }
        }
        if let size = s.string("max_upload") {
            if let bytes = parseSize(size) {
                server.maxUploadBytes = bytes
            } else {
                s.problem("max_upload", "'\(size)' is not a size (e.g. 512k, 25m, 100m)")
            }
        }
        server.headerTimeout = timeout(s, "header_timeout", default: server.headerTimeout, atMost: 600)
        server.bodyTimeout = timeout(s, "body_timeout", default: server.bodyTimeout, atMost: 3600)
        server.idleTimeout = timeout(s, "idle_timeout", default: server.idleTimeout, atMost: 3600)
        server.maxConnections = s.int("max_connections", default: server.maxConnections, range: 1...1_000_000)!
        server.presenceExpiry = timeout(s, "presence_expiry", default: server.presenceExpiry, atMost: 600)
        for address in s.stringList("trusted_proxies") {
            if isIPAddress(address) {
                server.trustedProxies.append(address)
            } else {
                s.problem("trusted_proxies", "'\(address)' is not an IP address (list each proxy's address, e.g. 127.0.0.1)")
            }
        }
        s.finish()
        return server
    }

    /// A timeout of `server:` (connections, presence): from 1 s to `atMost` seconds (none can be
    /// switched off: that would reopen the door to connections held forever).
    private static func timeout(_ s: ConfigSection, _ key: String, default value: Duration, atMost seconds: Int64) -> Duration {
        guard let d = s.duration(key) else { return value }
        guard d >= .seconds(1), d <= .seconds(seconds) else {
            s.problem(key, "'\(s.string(key) ?? "")' must be between 1s and \(seconds / 60)m")
            return value
        }
        return d
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    private static func readStorage(_ s: ConfigSection, commitDelay: inout Duration) -> StorageSettings {
        defer { s.finish() }
        if let delay = s.duration("commit_delay") {
            if delay > .milliseconds(100) {
                s.problem("commit_delay", "'\(s.string("commit_delay") ?? "")' must be at most 100ms (every answer to a channel waits for it)")
            } else {
                commitDelay = delay
            }
        }
        if let path = s.string("sqlite") {
            if s.has("postgres") { s.problem("postgres", "choose one of 'sqlite' and 'postgres'") }
            if s.has("postgres_session") {
                s.problem("postgres_session", "only with 'postgres' (the session connections of a PostgreSQL deployment)")
                _ = s.node("postgres_session")  // said why above: not an unknown key as well
            }
            if s.has("prepared_statements") {
                s.problem("prepared_statements", "only with 'postgres' (SQLite keeps its statements prepared anyway)")
                _ = s.node("prepared_statements")
            }
            return .sqlite(path: path)
        }
        if let url = s.string("postgres") {
            checkPostgresURL(s, "postgres", url)
            let session = s.string("postgres_session")
            if let session { checkPostgresURL(s, "postgres_session", session) }
            let password = s.secret("password_env")
            let pool = s.int("pool", default: 20, range: 1...1000) ?? 20
            let prepared = s.bool("prepared_statements", default: true)
            return .postgres(url: url, password: password, pool: pool, sessionURL: session, preparedStatements: prepared)
        }
        s.problem(nil, "missing 'sqlite: PATH' (the embedded database file) or 'postgres: URL'")
        return .sqlite(path: "data/switchboard.sqlite")
    }

    /// A `postgres://user@host:port/database` URL, or libpq's multi-host form (`host1:port1,host2:port2`)
    /// with an optional `target_session_attrs` of `any`, `read-write` or `primary`. No password in it.
    private static func checkPostgresURL(_ s: ConfigSection, _ key: String, _ url: String) {
        let shape = "'\(url)' is not a postgres://user@host:port/database URL"
        guard let hosts = MultiHostURL.hosts(url) else {
            s.problem(key, shape)
            return
        }
        // Each host must make a valid single-host URL with the rest unchanged.
        for (host, single) in hosts {
            guard let components = URLComponents(string: single), ["postgres", "postgresql"].contains(components.scheme ?? ""),
                components.host?.isEmpty == false
            else {
                s.problem(key, shape + (hosts.count > 1 ? " (host '\(host)')" : ""))
                return
            }
            if components.password != nil {
                s.problem(key, "the URL carries a password; name its environment variable in 'password_env' instead")
                return
            }
            if let attrs = components.queryItems?.last(where: { $0.name == "target_session_attrs" })?.value,
                !["any", "read-write", "primary"].contains(attrs)
            {
                s.problem(key, "target_session_attrs=\(attrs) is not one of any, read-write, primary")
                return
            }
        }
    }

    private static func readRouting(_ s: ConfigSection) -> RoutingSettings {
        var routing = RoutingSettings()
        routing.firstResponse = s.duration("first_response", default: routing.firstResponse)!
        routing.acknowledge = s.bool("acknowledge", default: routing.acknowledge)
        routing.acknowledgeQuiet = s.duration("acknowledge_quiet", default: routing.acknowledgeQuiet)!
        if let limits = s.section("acknowledge_limits") {
            var l = routing.acknowledgeLimits
            l.perRecipient = limits.int("per_address", default: l.perRecipient, range: 1...1_000_000)!
            l.recipientWindow = limits.duration("address_window", default: l.recipientWindow)!
            l.perDomain = limits.int("per_domain", default: l.perDomain, range: 1...10_000_000)!
            l.domainWindow = limits.duration("domain_window", default: l.domainWindow)!
            limits.finish()
            routing.acknowledgeLimits = l
        }
        routing.callbackWithin = s.duration("callback_within", default: routing.callbackWithin)!
        routing.nextResponse = s.duration("next_response")
        routing.resolution = s.duration("resolution")
        if let hours = s.section("business_hours") { routing.businessHours = readBusinessHours(hours) }
        routing.rules.returnToOwner = s.bool("return_to_owner", default: true)
        routing.rules.reassignAfter = s.duration("reassign_after")
        routing.rules.ownerOverCapacity = s.bool("owner_over_capacity", default: true)
        routing.rules.autoAway = s.duration("auto_away")
        s.finish()
        return routing
    }

    /// `business_hours: {timezone: Europe/Madrid, hours: ["mon-fri 09:00-18:00"], holidays: ["2026-12-25"]}`
    static func readBusinessHours(_ s: ConfigSection) -> BusinessHours {
        defer { s.finish() }
        var zone = TimeZone.gmt
        if let name = s.string("timezone") {
            if let found = TimeZone(identifier: name) {
                zone = found
            } else {
                s.problem("timezone", "'\(name)' is not a time zone (e.g. Europe/Madrid)")
            }
        }
        var shifts: [Schedule.Shift] = []
        for text in s.stringList("hours") {
            switch Schedule.parseShift(text) {
            case .success(let shift): shifts.append(shift)
            case .failure(let error): s.problem("hours", error.message)
            }
        }
        if shifts.isEmpty { s.problem("hours", "business hours need at least one line such as \"mon-fri 09:00-17:00\"") }
        var holidays = Set<String>()
        for day in s.stringList("holidays") {
            if day.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
                s.problem("holidays", "'\(day)' is not a date YYYY-MM-DD")
            } else {
                holidays.insert(day)
            }
        }
        return BusinessHours(schedule: Schedule(shifts: shifts, timeZone: zone), holidays: holidays)
    }

    private static func readDelivery(_ s: ConfigSection) -> DeliverySettings {
        var d = DeliverySettings()
        d.firstRetry = s.duration("first_retry", default: d.firstRetry)!
        d.maxBackoff = s.duration("max_backoff", default: d.maxBackoff)!
        d.maxAttempts = s.int("max_attempts", default: d.maxAttempts, range: 1...1000)!
        d.concurrency = s.int("concurrency", default: d.concurrency, range: 1...4096)!
        d.lease = s.duration("lease", default: d.lease)!
        s.finish()
        return d
    }

    private static func readAgents(_ sections: [ConfigSection], into config: inout GatewayConfig, root: ConfigSection) {
        if sections.isEmpty { root.problem(nil, "no 'agents' configured: nobody could answer a customer") }
        defer {
            let ids = Set(config.agents.map(\.id))
            var emails = Set<String>()
            for (agent, section) in zip(config.agents, sections) {
                if let email = agent.email, !emails.insert(email).inserted {
                    section.problem("email", "'\(email)' is the e-mail of another agent too (single sign-on could not tell them apart)")
                }
                if let deputy = agent.deputy, !ids.contains(deputy) || deputy == agent.id {
                    section.problem("deputy", "'\(deputy)' is not another configured agent")
                }
            }
        }
        var seen = Set<String>()
        for s in sections {
            guard let id = s.requiredString("id") else {
                s.finish()
                continue
            }
            if !seen.insert(id).inserted { s.problem("id", "agent id '\(id)' is used twice") }
            let role = s.choice("role", ["agent", "supervisor"], default: "agent").flatMap(Agent.Role.init(rawValue:)) ?? .agent
            var timeZone = TimeZone.gmt
            if let name = s.string("timezone") {
                if let zone = TimeZone(identifier: name) {
                    timeZone = zone
                } else {
                    s.problem("timezone", "'\(name)' is not a time zone (e.g. Europe/Madrid)")
                }
            }
            var shifts: [Schedule.Shift] = []
            for text in s.stringList("shifts") {
                switch Schedule.parseShift(text) {
                case .success(let shift): shifts.append(shift)
                case .failure(let error): s.problem("shifts", error.message)
                }
            }
            let agent = Agent(
                id: id, name: s.string("name") ?? id, role: role, teams: s.stringList("teams"),
                capacity: s.int("capacity", range: 1...100_000), deputy: s.string("deputy"),
                schedule: Schedule(shifts: shifts, timeZone: timeZone), email: readEmail(s))
            if let token = s.secret("token_env", required: true) {
                if token.count < minimumTokenLength {
                    s.problem(
                        "token_env",
                        "the token of agent '\(id)' has \(token.count) characters; an API token needs at least \(minimumTokenLength) random ones "
                            + "(e.g. from `openssl rand -hex 32`)")
                }
                config.tokens[id] = token
            }
            config.agents.append(agent)
            s.finish()
        }
    }

    private static func readAdapters(_ sections: [ConfigSection], agents: [Agent]) -> [AdapterSpec] {
        var seen = Set<String>()
        let teams = Set(agents.flatMap(\.teams))
        return sections.compactMap { s in
            guard let id = s.requiredString("id"), let type = s.requiredString("type") else { return nil }
            if id.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) == nil {
                s.problem("id", "'\(id)' must be letters, digits, '.', '_' or '-' (it appears in URLs)")
            }
            if !seen.insert(id).inserted { s.problem("id", "adapter id '\(id)' is used twice") }
            let team = s.string("team")
            if let team, !teams.contains(team) { s.problem("team", "no agent is in team '\(team)'") }
            var retention: RetentionRule?
            if let r = s.section("retention") {
                retention = readRetentionRule(r)
                r.finish()
            }
            let acknowledgement = s.string("acknowledgement")
            if let acknowledgement, acknowledgement.trimmed.isEmpty {
                s.problem("acknowledgement", "the acknowledgement text is empty; use 'acknowledge: false' to send none")
            }
            return AdapterSpec(
                id: id, type: type, team: team, firstResponse: s.duration("first_response"),
                acknowledge: s.has("acknowledge") ? s.bool("acknowledge", default: true) : nil, acknowledgement: acknowledgement,
                callbackWithin: s.duration("callback_within"), nextResponse: s.duration("next_response"),
                resolution: s.duration("resolution"), retention: retention, line: s.line, section: s)
        }
    }

    private static func readContextProviders(_ sections: [ConfigSection]) -> [ContextProviderSpec] {
        var seen = Set<String>()
        return sections.compactMap { s in
            guard let id = s.requiredString("id"), let type = s.requiredString("type") else { return nil }
            if id.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) == nil {
                s.problem("id", "'\(id)' must be letters, digits, '.', '_' or '-' (it names the data in the conversation view)")
            }
            if !seen.insert(id).inserted { s.problem("id", "context provider id '\(id)' is used twice") }
            return ContextProviderSpec(id: id, type: type, section: s)
        }
    }

    /// Builds every context provider with its type's factory; problems go to the diagnostics.
    static func buildContextProviders(
        _ config: GatewayConfig, factories: [any ContextProviderFactory], context: AdapterContext
    ) -> [any ContextProvider] {
        let byType = Dictionary(factories.map { ($0.type, $0) }, uniquingKeysWith: { a, _ in a })
        return config.contextProviderSpecs.compactMap { spec in
            defer { spec.section.finish() }
            guard let factory = byType[spec.type] else {
                spec.section.problem(
                    "type", "unknown context provider type '\(spec.type)' (available: \(byType.keys.sorted().joined(separator: ", ")))")
                return nil
            }
            do {
                return try factory.makeProvider(id: spec.id, config: spec.section, context: context)
            } catch {
                spec.section.problem(nil, "cannot start: \(error)")
                return nil
            }
        }
    }

    /// `512k`, `1m`, `25m`, `1048576`.
    static func parseSize(_ text: String) -> Int? {
        let t = text.lowercased().trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("kb", 1000), ("mb", 1_000_000), ("k", 1 << 10), ("m", 1 << 20)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            // Overflow is no size (it would trap, crashing check-config).
            guard let n = Int(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)) else { return nil }
            let (bytes, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : bytes
        }
        return Int(t)
    }

    /// Builds every adapter with its type's factory. Unknown types and the adapters' own key
    /// problems are reported with their lines.
    public static func buildAdapters(
        _ config: GatewayConfig, factories: [any ChannelAdapterFactory], context: AdapterContext
    ) throws(ConfigError) -> [RegisteredAdapter] {
        let byType = Dictionary(factories.map { ($0.type, $0) }, uniquingKeysWith: { a, _ in a })
        var built: [RegisteredAdapter] = []
        var problems: [ConfigProblem] = []
        for spec in config.adapters {
            guard let factory = byType[spec.type] else {
                spec.section.problem("type", "unknown adapter type '\(spec.type)' (available: \(byType.keys.sorted().joined(separator: ", ")))")
                spec.section.finish()
                continue
            }
            var adapterContext = context
            adapterContext.logger[metadataKey: "adapter"] = "\(spec.id)"
            do {
                let adapter = try factory.makeAdapter(id: spec.id, config: spec.section, context: adapterContext)
                built.append(
                    RegisteredAdapter(
                        adapter: adapter, team: spec.team, firstResponse: spec.firstResponse, acknowledge: spec.acknowledge,
                        acknowledgement: spec.acknowledgement, callbackWithin: spec.callbackWithin,
                        nextResponse: spec.nextResponse, resolution: spec.resolution))
            } catch {
                spec.section.problem(nil, "cannot start: \(error)")
            }
            spec.section.finish()
        }
        problems += config.adapters.first?.section.diagnostics.problems ?? []
        guard problems.isEmpty else { throw ConfigError(problems: problems.sorted { $0.line < $1.line }) }
        return built
    }
}
