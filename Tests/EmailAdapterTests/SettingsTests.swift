import Logging
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

@Suite struct SettingsTests {
    func node(_ pairs: [(String, ConfigNode.Value)]) -> ConfigNode {
        ConfigNode(.map(pairs.enumerated().map { (key: $0.element.0, keyLine: $0.offset + 1, value: ConfigNode($0.element.1, line: $0.offset + 1)) }), line: 1)
    }

    func read(_ pairs: [(String, ConfigNode.Value)]) -> (EmailSettings, [String]) {
        let diagnostics = ConfigDiagnostics(file: "switchboard.yaml")
        let section = ConfigSection(node(pairs), path: "adapters[0]", diagnostics: diagnostics, environment: { $0 == "SMTP_PW" ? "secret" : nil })
        let settings = EmailSettings(config: section)
        section.finish()
        return (settings, diagnostics.problems.map(\.message))
    }

    @Test func fullConfiguration() {
        let (settings, problems) = read([
            ("address", .scalar("support@example.com")), ("name", .scalar("Example Support")),
            ("smtp", node([("url", .scalar("smtp://mail.example.com:587")), ("user", .scalar("support")), ("password_env", .scalar("SMTP_PW"))]).value),
            ("imap", node([("url", .scalar("imaps://mail.example.com/INBOX")), ("poll", .scalar("45s"))]).value),
            ("html_replies", .scalar("true")),
        ])
        #expect(problems.isEmpty)
        #expect(settings.smtp == MailAccount(url: "smtp://mail.example.com:587", user: "support", password: "secret"))
        #expect(settings.imap?.url == "imaps://mail.example.com/INBOX")
        #expect(settings.pollInterval == .seconds(45))
        #expect(settings.htmlReplies)
        #expect(settings.displayName == "Example Support")
    }

    @Test func problemsAreReported() {
        let (_, problems) = read([
            ("address", .scalar("not an address")), ("imap", node([("url", .scalar("http://x")), ("pol", .scalar("5s"))]).value),
        ])
        #expect(problems.contains { $0.contains("is not an e-mail address") })
        #expect(problems.contains { $0.contains("missing required key 'smtp'") })
        #expect(problems.contains { $0.contains("must be a URL starting with imap:// or imaps://") })
        #expect(problems.contains { $0.contains("unknown key 'pol'") })
    }

    @Test func factoryBuildsAnEmailAdapter() throws {
        #expect(EmailAdapterFactories.all.map(\.type) == ["email"])
    }
}
