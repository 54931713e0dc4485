import Testing

@testable import SwitchboardLMTP

/// Command lines as MTAs and strangers write them.
struct LMTPCommandTests {
    @Test func pathsAndParameters() {
        #expect(
            LMTPCommand.parse("MAIL FROM:<a@example.com> SIZE=1234 BODY=8BITMIME")
                == .mail(sender: "a@example.com", parameters: ["SIZE": "1234", "BODY": "8BITMIME"]))
        #expect(LMTPCommand.parse("mail from: <a@example.com>") == .mail(sender: "a@example.com", parameters: [:]))
        #expect(LMTPCommand.parse("MAIL FROM:<>") == .mail(sender: "", parameters: [:]))
        #expect(
            LMTPCommand.parse("RCPT TO:<@relay.example,@b.example:support@example.com>")
                == .rcpt(recipient: "support@example.com", parameters: [:]))
        #expect(LMTPCommand.parse("RCPT TO:<\"a>b\"@example.com>") == .rcpt(recipient: "\"a>b\"@example.com", parameters: [:]))
        #expect(LMTPCommand.parse("LHLO mx.example.com") == .lhlo(domain: "mx.example.com"))
        #expect(LMTPCommand.parse("DATA") == .data)
        #expect(LMTPCommand.parse("quit") == .quit)
    }

    @Test func malformedLinesSayWhy() {
        #expect(LMTPCommand.parse("MAIL FROM:a@example.com").isSyntaxError)
        #expect(LMTPCommand.parse("RCPT TO:<>").isSyntaxError)
        #expect(LMTPCommand.parse("RCPT TO:<a b@example.com>").isSyntaxError)
        #expect(LMTPCommand.parse("LHLO").isSyntaxError)
        #expect(LMTPCommand.parse("DATA now").isSyntaxError)
        #expect(LMTPCommand.parse("EHLO mx.example.com") == .smtpGreeting)
        #expect(LMTPCommand.parse("") == .unknown(""))
        #expect(LMTPCommand.parse("GET / HTTP/1.1") == .unknown("GET"))
    }
}

extension LMTPCommand {
    var isSyntaxError: Bool {
        if case .syntaxError = self { return true }
        return false
    }
}
