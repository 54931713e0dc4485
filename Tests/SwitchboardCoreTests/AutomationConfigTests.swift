import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardConfig
import SwitchboardCore
import Testing
import WebhookAdapter

/// `sla:`, `rules:` and `webhooks:` as `check-config` reads them: every problem with its line.
@Suite struct AutomationConfigTests {
    let base = ConfigLoaderTests()
    static let env: [String: String] = ["CRM_SECRET": "crm-secret-0123456789abcdef"]

    func load(_ yaml: String) throws -> Result<(GatewayConfig, Int), ConfigError> {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sb-auto-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let env: @Sendable (String) -> String? = { Self.env[$0] ?? base.env($0) }
        let context = AdapterContext(
            logger: Logger(label: "test"), transport: ClosureTransport { _ in HTTPResponse(status: 200) }, publicURL: "", environment: env)
        do {
            let (config, adapters) = try ConfigLoader.load(path: path, factories: [WebhookAdapterFactory()], context: context, environment: env)
            return .success((config, adapters.count))
        } catch {
            return .failure(error)
        }
    }

    static let good =
        ConfigLoaderTests.good + """

            sla:
              - id: urgent
                when: { priority: [urgent, high] }
                first_response: 15m
                resolution: 4h
              - id: shop-gold
                when: { adapter: [shop], channel: [email] }
                first_response: 30m
                business_hours: { timezone: Europe/Madrid, hours: ["mon-fri 09:00-18:00"] }
            webhooks:
              - id: crm
                url: "https://crm.example/hooks"
                secret_env: CRM_SECRET
                events: [message.created, conversation.resolved, sla.breached]
                breaker: { failures: 3, cooldown: 1m }
            rules:
              - id: vip-fast-lane
                on: conversation.created
                if:
                  adapter: [shop]
                  text_matches: "(?i)\\\\b(factura|invoice)\\\\b"
                  business_hours: outside
                  any: [ { tags: [vip] }, { priority: [urgent] } ]
                  not: { text_contains: [unsubscribe] }
                then:
                  - priority: urgent
                  - tag: [billing, vip]
                  - assign_team: support
                    keep_owner: false
                  - note: "VIP billing request"
                  - reply: { canned: billing-ack }
                  - webhook: crm
              - id: stale
                schedule: "every 15m"
                if: { status: [pending], waited_longer_than: 48h }
                then:
                  - escalate: waiting on the customer
            """

    @Test func readsRulesPoliciesAndWebhooks() throws {
        let (config, _) = try load(Self.good).get()
        #expect(config.slaPolicies.map(\.id) == ["urgent", "shop-gold"])
        #expect(config.slaPolicies[0].when.priorities == [.urgent, .high])
        #expect(config.slaPolicies[1].businessHours?.isAlwaysOpen == false)
        #expect(config.webhooks.map(\.id) == ["crm"])
        #expect(config.webhooks[0].breakerFailures == 3)
        #expect(config.webhooks[0].breakerCooldown == .seconds(60))
        #expect(config.rules.map(\.id) == ["vip-fast-lane", "stale"])
        #expect(config.rules[0].trigger == .event(.conversationCreated))
        #expect(config.rules[0].actions.map(\.name) == ["priority", "tag", "assign_team", "note", "reply", "webhook"])
        #expect(config.rules[1].trigger == .schedule(every: .seconds(900)))
        guard case .all(let conditions) = config.rules[0].condition else { throw UnexpectedOutcome("not all") }
        #expect(conditions.count == 5)
    }

    @Test func namesTheLineOfEveryUnknownConditionActionEventAndBadPattern() throws {
        let yaml =
            ConfigLoaderTests.good + """

                rules:
                  - id: broken
                    on: conversation.exploded
                    if:
                      adapter: [shop]
                      colour: blue
                      text_matches: "(a)\\\\1"
                    then:
                      - teleport: mars
                      - priority: urgent
                  - id: regex
                    on: message.created
                    if: { subject_matches: "([a-z" }
                    then: [ { webhook: nowhere } ]
                """
        let problems = try #require(try load(yaml).failure).problems
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func line(of text: String) -> Int { (lines.firstIndex { $0.contains(text) } ?? -1) + 1 }
        func problem(_ fragment: String) -> ConfigProblem? { problems.first { $0.message.contains(fragment) } }
        #expect(problem("unknown event 'conversation.exploded'")?.line == line(of: "conversation.exploded"))
        #expect(problem("unknown condition 'colour'")?.line == line(of: "colour: blue"))
        #expect(problem("the pattern does not compile: backreferences are not supported")?.line == line(of: "(a)"))
        #expect(problem("unknown action 'teleport'")?.line == line(of: "teleport"))
        #expect(problem("the pattern does not compile: unterminated character class")?.line == line(of: "subject_matches"))
        #expect(problem("no webhook 'nowhere'")?.line == line(of: "nowhere"))
        #expect(problems.allSatisfy { $0.description.hasPrefix($0.file + ":") })
    }

    @Test func checksWhatPoliciesAndWebhooksName() throws {
        let yaml =
            ConfigLoaderTests.good + """

                sla:
                  - id: default
                    when: { priority: [asap], adapter: [nope], context: { crm.tier: gold } }
                  - id: x
                    when: { colour: red }
                    first_response: 1h
                webhooks:
                  - id: crm
                    url: "ftp://crm"
                    secret_env: CRM_SECRET
                    events: [message.exploded]
                """
        let problems = try #require(try load(yaml).failure).problems.map(\.message)
        #expect(problems.contains { $0.contains("not 'default'") })
        #expect(problems.contains { $0.contains("'asap' is not a priority") })
        #expect(problems.contains { $0.contains("no adapter 'nope' is configured") })
        #expect(problems.contains { $0.contains("no context provider 'crm' is configured") })
        #expect(problems.contains { $0.contains("sets no clock") })
        #expect(problems.contains { $0.contains("unknown key 'colour'") })
        #expect(problems.contains { $0.contains("'ftp://crm' is not an http:// or https:// URL") })
        #expect(problems.contains { $0.contains("unknown event 'message.exploded'") })
    }
}

extension Result {
    var failure: Failure? { if case .failure(let error) = self { error } else { nil } }
}
