import Logging
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

@Suite struct SettingsTests {
    func node(_ pairs: [(String, ConfigNode.Value)]) -> ConfigNode {
        ConfigNode(
            .map(pairs.enumerated().map { (key: $0.element.0, keyLine: $0.offset + 1, value: ConfigNode($0.element.1, line: $0.offset + 1)) }),
            line: 1)
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
            (
                "smtp",
                node([("url", .scalar("smtp://mail.example.com:587")), ("user", .scalar("support")), ("password_env", .scalar("SMTP_PW"))]).value
            ),
            ("imap", node([("url", .scalar("imaps://mail.example.com/INBOX")), ("poll", .scalar("45s"))]).value),
            ("html_replies", .scalar("true")), ("secret_env", .scalar("SMTP_PW")),
        ])
        #expect(problems.isEmpty)
        #expect(settings.access == .secret("secret"))
        #expect(settings.authentication == nil)
        #expect(settings.smtp == MailAccount(url: "smtp://mail.example.com:587", user: "support", password: "secret"))
        #expect(settings.imap?.url == "imaps://mail.example.com/INBOX")
        #expect(settings.pollInterval == .seconds(45))
        #expect(settings.htmlReplies)
        #expect(settings.displayName == "Example Support")
    }

    @Test func attachmentLimitsAreReadWithUnits() {
        let smtp = node([("url", .scalar("smtp://mail.example.com"))]).value
        let (defaults, _) = read([("address", .scalar("support@example.com")), ("smtp", smtp), ("open", .scalar("true"))])
        #expect(defaults.attachmentLimits == AttachmentLimits(maxBytes: 10 << 20, maxMessageBytes: 25 << 20))
        let (settings, problems) = read([
            ("address", .scalar("support@example.com")), ("smtp", smtp), ("open", .scalar("true")),
            ("attachments", node([("max_bytes", .scalar("512k")), ("max_message_bytes", .scalar("2mb"))]).value),
        ])
        #expect(problems.isEmpty)
        #expect(settings.attachmentLimits == AttachmentLimits(maxBytes: 512 * 1024, maxMessageBytes: 2_000_000))
        let (_, bad) = read([
            ("address", .scalar("support@example.com")), ("smtp", smtp),
            ("attachments", node([("max_bytes", .scalar("ten")), ("max_files", .scalar("3"))]).value),
        ])
        #expect(bad.contains { $0.contains("'ten' is not a size") })
        #expect(bad.contains { $0.contains("max_files") })
    }

    @Test func severalMailboxesOfOneAccount() {
        let smtp = node([("url", .scalar("smtp://mail.example.com"))]).value
        func imap(_ names: [String]) -> ConfigNode.Value {
            node([
                ("url", .scalar("imaps://mail.example.com:993/INBOX")),
                ("mailboxes", .list(names.enumerated().map { ConfigNode(.scalar($0.element), line: $0.offset + 1) })),
            ]).value
        }
        let (settings, problems) = read([
            ("address", .scalar("support@example.com")), ("smtp", smtp), ("open", .scalar("true")),
            ("imap", imap(["INBOX", "Support"])),
        ])
        #expect(problems.isEmpty)
        #expect(settings.imapMailboxes.map(\.url) == ["imaps://mail.example.com:993/INBOX", "imaps://mail.example.com:993/Support"])
        let (_, bad) = read([
            ("address", .scalar("support@example.com")), ("smtp", smtp), ("open", .scalar("true")),
            ("imap", imap(["INBOX", "Entwürfe", "a/b", "INBOX"])),
        ])
        #expect(bad.contains { $0.contains("'Entwürfe' is not a mailbox name") })
        #expect(bad.contains { $0.contains("'a/b' is not a mailbox name") })
        #expect(bad.contains { $0.contains("a mailbox is named twice") })
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
