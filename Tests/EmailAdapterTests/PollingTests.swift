import Foundation
import Logging
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

@Suite struct PollingTests {
    let transport = FakeMailTransport()
    let sink = MemorySink()

    var adapter: EmailAdapter {
        EmailAdapter(
            id: "mail",
            settings: EmailSettings(
                address: "support@example.com", smtp: MailAccount(url: "smtp://127.0.0.1"),
                imap: MailAccount(url: "imap://127.0.0.1/INBOX"), pollInterval: .milliseconds(20), access: .open),
            mail: transport, logger: Logger(label: "test"))
    }

    func put(_ uid: UInt32, _ text: String) {
        transport.state.withLock { $0.mailbox[uid] = Data(text.utf8) }
    }

    func poll() async throws {
        try await adapter.pollOnce(mail: transport, account: adapter.settings.imap!, sink: sink)
    }

    @Test func storedMessagesAreMarkedSeen() async throws {
        put(1, MailFixtures.alternative)
        put(2, MailFixtures.autoReply)
        try await poll()
        #expect(sink.stored.withLock { $0.map(\.externalID) } == ["alt-1@example.org", "auto-1@example.org"])
        #expect(transport.state.withLock { $0.seen } == [1, 2])
    }

    @Test func aStoreFailureLeavesMessagesUnseen() async throws {
        put(1, MailFixtures.alternative)
        sink.failing.withLock { $0 = true }
        await #expect(throws: MemorySink.Unavailable.self) { try await poll() }
        #expect(transport.state.withLock { $0.seen }.isEmpty)
        sink.failing.withLock { $0 = false }
        try await poll()
        #expect(transport.state.withLock { $0.seen } == [1])
    }

    @Test func polledMailIsJudgedByTheTrustedAuthenticationResultsToo() async throws {
        var settings = adapter.settings
        settings.authentication = SenderAuthentication(authservIDs: ["mx.google.com"])
        let adapter = EmailAdapter(id: "mail", settings: settings, mail: transport, logger: Logger(label: "test"))
        put(1, "Authentication-Results: mx.google.com; dmarc=pass header.from=example.org\n" + MailFixtures.alternative)
        put(
            2,
            "Authentication-Results: mx.evil.example; dmarc=pass header.from=example.org\n"
                + MailFixtures.alternative.replacingOccurrences(of: "alt-1@", with: "alt-2@"))
        try await adapter.pollOnce(mail: transport, account: settings.imap!, sink: sink)
        let stored = sink.stored.withLock { $0 }
        #expect(stored.map(\.externalID) == ["alt-1@example.org", "alt-2@example.org"])
        #expect(stored[0].noAutoReply == nil)
        #expect(stored[1].noAutoReply?.contains("not verified") == true)
    }

    @Test func garbageIsMarkedSeenAndSkipped() async throws {
        put(1, "this is not a mail at all")
        put(2, MailFixtures.alternative)
        try await poll()
        #expect(sink.stored.withLock { $0.map(\.externalID) } == ["alt-1@example.org"])
        #expect(transport.state.withLock { $0.seen } == [1, 2])
    }

    @Test func unreachableMailboxDegradesAndRecovers() async throws {
        let adapter = self.adapter
        transport.state.withLock { $0.mailboxFailure = MailTransportError("connection refused") }
        put(1, MailFixtures.alternative)
        let task = Task { try await adapter.run(sink: sink) }
        try await waitUntil { if case .degraded = adapter.state { true } else { false } }
        transport.state.withLock { $0.mailboxFailure = nil }
        try await waitUntil { adapter.state == .running && sink.stored.withLock { $0.count } == 1 }
        task.cancel()
        // Cancellation ends the loop promptly, without an error.
        try await task.value
    }

    @Test func withoutIMAPRunWaitsForCancellation() async throws {
        let adapter = EmailAdapter(
            id: "mail", settings: EmailSettings(address: "support@example.com", smtp: MailAccount(url: "smtp://127.0.0.1"), access: .open),
            mail: transport, logger: Logger(label: "test"))
        let task = Task { try await adapter.run(sink: sink) }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        try await task.value
    }

    func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        for _ in 0..<250 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("condition not met within 5 s")
    }
}
