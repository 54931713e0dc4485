import Foundation
import MetaAdapter
import SwitchboardAdapterAPI
import Testing

/// Configuration keys, problems with their lines, and the capabilities the core enforces.
@Suite struct MetaConfigTests {
    func build(
        _ type: String, _ pairs: [(String, String)], environment: @escaping @Sendable (String) -> String? = MetaTestKit.environment()
    ) throws -> (any ChannelAdapter, [ConfigProblem]) {
        let (section, diagnostics) = MetaTestKit.section(pairs, environment: environment)
        let factory = try #require(MetaAdapterFactories.all.first { $0.type == type })
        let context = AdapterContext(
            logger: .init(label: "test"), transport: MetaNoTransport(), publicURL: "http://127.0.0.1", environment: environment)
        let adapter = try factory.makeAdapter(id: "a", config: section, context: context)
        section.finish()  // done by the loader in the gateway
        return (adapter, diagnostics.problems)
    }

    @Test func factoriesCoverTheThreeTypes() {
        #expect(MetaAdapterFactories.all.map(\.type) == ["whatsapp", "messenger", "instagram"])
    }

    @Test func whatsAppDefaultsAndCapabilities() throws {
        let (adapter, problems) = try build(
            "whatsapp", [("phone_number_id", "1122334455667"), ("template", "order_update")] + MetaTestKit.secretKeys)
        #expect(problems.isEmpty)
        let wa = try #require(adapter as? WhatsAppAdapter)
        #expect(wa.settings.graph.apiBase == "https://graph.facebook.com")
        #expect(wa.settings.graph.apiVersion == "v21.0")
        #expect(wa.identityChannel == "phone")
        let caps = wa.capabilities
        #expect(caps.replyWindow == .seconds(86_400))
        #expect(caps.canInitiate == false)
        #expect(caps.maxTextLength == 4096)
        #expect(caps.outsideWindowHint == "send the approved template 'order_update' instead")
        #expect(!"\(wa.settings.graph)".contains(MetaTestKit.accessToken), "settings never print secrets")

        let (plain, _) = try build("whatsapp", [("phone_number_id", "1")] + MetaTestKit.secretKeys)
        #expect(plain.capabilities.outsideWindowHint?.contains("another channel") == true)
    }

    @Test func messengerAndInstagramCapabilities() throws {
        for type in ["messenger", "instagram"] {
            let (adapter, problems) = try build(type, [("page_id", "42"), ("api_version", "v22.0")] + MetaTestKit.secretKeys)
            #expect(problems.isEmpty)
            #expect(adapter.capabilities.replyWindow == .seconds(86_400))
            #expect(adapter.capabilities.canInitiate == false)
            #expect(adapter.identityChannel == "\(type):42")
        }
    }

    @Test func problemsAreReportedWithTheirLines() throws {
        let (_, problems) = try build(
            "whatsapp",
            [
                ("api_base", "graph.facebook.com"),  // line 2
                ("api_version", "21"),  // line 3
                ("access_token_env", "NOT_SET"),  // line 4
                ("app_secret_env", "META_APP_SECRET"),
                ("phone_nmuber_id", "1"),  // line 6: typo
            ])
        let text = problems.map(\.description)
        #expect(text.contains { $0.hasPrefix("meta.yaml:2:") && $0.contains("api_base") })
        #expect(text.contains { $0.hasPrefix("meta.yaml:3:") && $0.contains("api_version") })
        #expect(text.contains { $0.hasPrefix("meta.yaml:4:") && $0.contains("NOT_SET is not set") })
        #expect(text.contains { $0.contains("missing required key 'verify_token_env'") })
        #expect(text.contains { $0.contains("missing required key 'phone_number_id'") })
        #expect(text.contains { $0.hasPrefix("meta.yaml:6:") && $0.contains("unknown key 'phone_nmuber_id'") })

        let (_, pageProblems) = try build("messenger", [("page_id", "12/34"), ("template", "x")] + MetaTestKit.secretKeys)
        #expect(pageProblems.contains { $0.description.contains("page_id") })
        #expect(pageProblems.contains { $0.description.contains("unknown key 'template'") }, "templates are WhatsApp's")
    }
}
