import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardConfig
import SwitchboardCore
import Testing
import WebhookAdapter

/// `audit:`, `retention:` (with adapters' own) and `console:` (second factor, single sign-on).
@Suite struct ConfigTrustTests {
    let env: @Sendable (String) -> String? = {
        [
            "TOKEN_A": "token-aaaa-1-0123456789abcdef0123456789", "TOKEN_M": "token-mmmm-1-0123456789abcdef0123456789",
            "HOOK": "s3cret", "OIDC": "client-secret",
        ][$0]
    }

    func load(_ tail: String) throws -> Result<GatewayConfig, ConfigError> {
        let yaml = """
            storage: { sqlite: /tmp/x.sqlite }
            agents:
              - { id: ana, name: Ana, teams: [support], token_env: TOKEN_A, email: Ana.Garcia@Example.com }
              - { id: marta, name: Marta, role: supervisor, teams: [support], token_env: TOKEN_M }
            adapters:
              - id: shop
                type: webhook
                team: support
                secret_env: HOOK
                outbound: { url: "http://127.0.0.1:9/send" }
                retention: { messages: 90d }

            """ + tail
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sb-trust-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let context = AdapterContext(
            logger: Logger(label: "test"), transport: ClosureTransport { _ in HTTPResponse(status: 200) }, publicURL: "", environment: env)
        do {
            return .success(try ConfigLoader.load(path: path, factories: [WebhookAdapterFactory()], context: context, environment: env).0)
        } catch {
            return .failure(error)
        }
    }

    @Test func readsTheTrustSections() throws {
        let config = try load(
            """
            retention: { messages: 730d, attachments: 180d, only_resolved: false }
            audit: { retention: 3650d }
            console:
              require_2fa: true
              oidc: { issuer: "https://login.example.com", client_id: switchboard, client_secret_env: OIDC, clock_skew: 2m }
            """
        ).get()
        let day: Int64 = 86400
        #expect(config.retention.base == RetentionRule(messages: .seconds(730 * day), attachments: .seconds(180 * day)))
        #expect(config.retention.perAdapter["shop"] == RetentionRule(messages: .seconds(90 * day)))
        #expect(config.retention.onlyResolved == false)
        #expect(config.audit.retention == .seconds(3650 * day))
        #expect(config.console.requireSecondFactor)
        let oidc = try #require(config.console.oidc)
        #expect(oidc.issuer == "https://login.example.com" && oidc.clientID == "switchboard" && oidc.clientSecret == "client-secret")
        #expect(oidc.agentClaim == "email" && oidc.scopes == ["openid", "email"] && oidc.clockSkew == .seconds(120))
        #expect(config.agents.first?.email == "ana.garcia@example.com", "lower-cased, as single sign-on compares it")
    }

    @Test func nothingConfiguredKeepsEverything() throws {
        let config = try load("").get()
        #expect(config.retention.perAdapter["shop"] != nil)
        #expect(config.retention.base == RetentionRule() && config.retention.onlyResolved)
        #expect(config.audit.retention == nil && config.console.oidc == nil && !config.console.requireSecondFactor)
    }

    @Test func reportsTrustMistakesWithTheirLines() throws {
        guard
            case .failure(let error) = try load(
                """
                retention: { messages: 30m }
                console:
                  oidc: { issuer: "http://login.example.com", client_id: x, client_secret_env: MISSING, clock_skew: 10m, scopes: [email] }
                  colour: blue
                """)
        else {
            Issue.record("a broken file was accepted")
            return
        }
        let lines = error.problems.map { "\($0.line): \($0.message)" }
        #expect(lines.contains { $0.hasPrefix("12: retention.messages:") && $0.contains("shorter than a day") })
        #expect(lines.contains { $0.hasPrefix("14: console.oidc.issuer:") && $0.contains("https") })
        #expect(lines.contains { $0.hasPrefix("14: console.oidc.client_secret_env:") && $0.contains("MISSING") })
        #expect(lines.contains { $0.hasPrefix("14: console.oidc.clock_skew:") })
        #expect(lines.contains { $0.hasPrefix("14: console.oidc.scopes:") && $0.contains("openid") })
        #expect(lines.contains("15: console: unknown key 'colour'"))
    }
}
