import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardConfig
import Testing
import WebhookAdapter

@Suite struct ConfigLoaderTests {
    let env: @Sendable (String) -> String? = {
        [
            "TOKEN_A": "token-aaaa-1-0123456789abcdef0123456789", "TOKEN_M": "token-mmmm-1-0123456789abcdef0123456789",
            "SHORT": "only-twenty-chars-xy", "HOOK": "s3cret",
        ][$0]
    }

    func write(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sb-config-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func load(_ yaml: String) throws -> Result<(GatewayConfig, Int), ConfigError> {
        let path = try write(yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let context = AdapterContext(
            logger: Logger(label: "test"), transport: ClosureTransport { _ in HTTPResponse(status: 200) }, publicURL: "", environment: env)
        do {
            let (config, adapters) = try ConfigLoader.load(path: path, factories: [WebhookAdapterFactory()], context: context, environment: env)
            return .success((config, adapters.count))
        } catch {
            return .failure(error)
        }
    }

    static let good = """
        server: { host: 127.0.0.1, port: 9999 }
        storage: { sqlite: /tmp/x.sqlite }
        routing: { first_response: 2h30m }
        agents:
          - { id: ana, name: Ana, teams: [support], token_env: TOKEN_A }
          - { id: marta, name: Marta, role: supervisor, teams: [support], token_env: TOKEN_M }
        adapters:
          - id: shop
            type: webhook
            team: support
            secret_env: HOOK
            outbound: { url: "http://127.0.0.1:9/send" }
        """

    @Test func readsAGoodFile() throws {
        let (config, adapters) = try load(Self.good).get()
        #expect(adapters == 1)
        #expect(config.server.port == 9999)
        #expect(config.routing.firstResponse == .seconds(9000))
        #expect(config.tokens["ana"] == "token-aaaa-1-0123456789abcdef0123456789")
        #expect(config.server.headerTimeout == .seconds(10) && config.server.bodyTimeout == .seconds(30))
        #expect(config.server.idleTimeout == .seconds(60) && config.server.maxConnections == 2048)
        #expect(config.agents.map(\.role) == [.agent, .supervisor])
    }

    @Test func reportsEveryProblemWithItsLine() throws {
        let yaml = """
            server: { host: 127.0.0.1, port: 9999, colour: blue }
            storage: { sqlite: /tmp/x.sqlite }
            routing:
              first_response: soon
            agents:
              - { id: ana, teams: [support], token_env: NOT_SET }
            adapters:
              - id: shop
                type: webhook
                outbound: { url: "ftp://nowhere" }
                inbound: { text: body }
                extra: 1
              - id: fax
                type: fax
            """
        guard case .failure(let error) = try load(yaml) else {
            Issue.record("a broken file was accepted")
            return
        }
        let lines = error.problems.map { "\($0.line): \($0.message)" }
        #expect(lines.contains("1: server: unknown key 'colour'"))
        #expect(lines.contains { $0.hasPrefix("4: routing.first_response: 'soon' is not a duration") })
        #expect(lines.contains("6: agents[0].token_env: environment variable NOT_SET is not set"))
        #expect(lines.contains { $0.hasPrefix("10: adapters[0].outbound.url: 'ftp://nowhere' is not an http") })
        #expect(lines.contains { $0.hasPrefix("11: adapters[0].inbound.text: 'body' is not a JSON pointer") })
        #expect(lines.contains("12: adapters[0]: unknown key 'extra'"))
        #expect(lines.contains { $0.hasPrefix("14: adapters[1].type: unknown adapter type 'fax'") })
        #expect(error.problems.allSatisfy { $0.description.contains(".yaml:\($0.line): ") })
    }

    @Test func readsConnectionLimitsAndTrustedProxies() throws {
        let yaml = Self.good.replacingOccurrences(
            of: "server: { host: 127.0.0.1, port: 9999 }",
            with: """
                server: { host: 127.0.0.1, port: 9999, header_timeout: 5s, body_timeout: 1m, idle_timeout: 2m, max_connections: 100,
                          trusted_proxies: [127.0.0.1, "::1"] }
                """)
        let (config, _) = try load(yaml).get()
        #expect(config.server.headerTimeout == .seconds(5) && config.server.bodyTimeout == .seconds(60))
        #expect(config.server.idleTimeout == .seconds(120) && config.server.maxConnections == 100)
        #expect(config.server.trustedProxies == ["127.0.0.1", "::1"])
    }

    @Test func refusesConnectionLimitsThatSwitchTheDefenceOffAndShortTokens() throws {
        let yaml = """
            server:
              header_timeout: 0s
              body_timeout: 2h
              idle_timeout: never
              max_connections: 0
              trusted_proxies: [proxy.example.com]
            storage: { sqlite: /tmp/x.sqlite }
            agents:
              - { id: ana, teams: [support], token_env: SHORT }
            adapters:
              - { id: shop, type: webhook, team: support, outbound: { url: "http://127.0.0.1:9/send" } }
            """
        guard case .failure(let error) = try load(yaml) else {
            Issue.record("a file without timeouts was accepted")
            return
        }
        let lines = error.problems.map { "\($0.line): \($0.message)" }
        #expect(lines.contains("2: server.header_timeout: '0s' must be between 1s and 10m"))
        #expect(lines.contains("3: server.body_timeout: '2h' must be between 1s and 60m"))
        #expect(lines.contains { $0.hasPrefix("4: server.idle_timeout: 'never' is not a duration") })
        #expect(lines.contains { $0.hasPrefix("5: server.max_connections: 0 is out of range") })
        #expect(lines.contains { $0.hasPrefix("6: server.trusted_proxies: 'proxy.example.com' is not an IP address") })
        #expect(lines.contains { $0.hasPrefix("9: agents[0].token_env: the token of agent 'ana' has 20 characters; an API token needs at least 32") })
    }

    @Test func reportsYAMLSyntaxErrorsWithTheirLine() throws {
        guard case .failure(let error) = try load("server:\n  host: [unclosed\nagents: []\n") else {
            Issue.record("broken YAML was accepted")
            return
        }
        #expect(error.problems.first?.message.contains("YAML syntax error") == true)
        #expect((error.problems.first?.line ?? 0) >= 2)
    }

    @Test(arguments: [("250ms", 0.25), ("5s", 5), ("30m", 1800), ("24h", 86400), ("1h30m", 5400), ("2d", 172_800), ("90", 90)])
    func parsesDurations(text: String, seconds: Double) {
        #expect(DurationParser.parse(text).map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } == seconds)
    }

    @Test(arguments: ["", "soon", "5 parsecs", "1h30", "-"])
    func rejectsNonDurations(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test func readsPromiseTargetsAndBusinessHoursAndReportsTheirMistakes() throws {
        let good = Self.good.replacingOccurrences(
            of: "routing: { first_response: 2h30m }",
            with: """
                routing:
                  first_response: 4h
                  next_response: 1h
                  resolution: 3d
                  business_hours: { timezone: Europe/Madrid, hours: ["mon-fri 09:00-17:00"], holidays: ["2026-12-25"] }
                """)
        let (config, _) = try load(good).get()
        #expect(config.routing.nextResponse == .seconds(3600))
        #expect(config.routing.resolution == .seconds(3 * 86400))
        #expect(config.routing.businessHours.holidays == ["2026-12-25"])
        #expect(config.routing.businessHours.schedule.timeZone.identifier == "Europe/Madrid")
        #expect(!config.routing.businessHours.isOpen(at: ISO8601DateFormatter().date(from: "2026-12-25T10:00:00Z")!))

        let bad = Self.good.replacingOccurrences(
            of: "routing: { first_response: 2h30m }",
            with: """
                routing:
                  business_hours: { timezone: Mars/Olympus, hours: ["weekdays 9-5"], holidays: ["25/12/2026"] }
                """)
        guard case .failure(let error) = try load(bad) else {
            Issue.record("bad business hours must be refused")
            return
        }
        let text = error.description
        #expect(text.contains(":4: ") && text.contains("Mars/Olympus"))
        #expect(text.contains("not a day range") && text.contains("'25/12/2026' is not a date"))
    }
}
