import Foundation
import Logging
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// Reading by UID from a saved position: nothing skipped, nothing fetched twice.
@Suite struct MailboxPositionTests {
    let transport = FakeMailTransport()
    let sink = PositionedSink()

    func adapter() -> EmailAdapter {
        EmailAdapter(
            id: "mail",
            settings: EmailSettings(
                address: "support@example.com", smtp: MailAccount(url: "smtp://127.0.0.1"),
                imap: MailAccount(url: "imap://127.0.0.1/INBOX"), pollInterval: .milliseconds(20), access: .open),
            mail: transport, logger: Logger(label: "test"))
    }

    func put(_ uid: UInt32, id: String) {
        let raw = MailFixtures.alternative.replacingOccurrences(of: "alt-1@", with: "\(id)@")
        transport.state.withLock { $0.mailbox[uid] = Data(raw.utf8) }
    }

    func poll(_ adapter: EmailAdapter? = nil) async throws {
        let adapter = adapter ?? self.adapter()
        try await adapter.pollOnce(mail: transport, account: adapter.settings.imap!, sink: sink)
    }

    var storedIDs: [String] { sink.inner.stored.withLock { $0.map(\.externalID) } }

    @Test func theFirstPassTakesTheUnseenAndThenEverythingNewWhateverItsFlags() async throws {
        put(1, id: "old-read")
        transport.state.withLock { _ = $0.seen.insert(1) }
        put(2, id: "unread")
        try await poll()
        #expect(storedIDs == ["unread@example.org"])
        #expect(
            try await sink.positions.mailboxPosition(adapter: "mail", mailbox: "imap://127.0.0.1/INBOX")
                == MailboxPosition(uidValidity: 1, lastUID: 2))
        // A human reads a new mail before the gateway gets to it: it is still stored.
        put(3, id: "read-by-a-human")
        transport.state.withLock { _ = $0.seen.insert(3) }
        try await poll()
        #expect(storedIDs == ["unread@example.org", "read-by-a-human@example.org"])
    }

    @Test func aRestartFetchesNothingTwiceAndCatchesUpOnEverythingThatArrivedMeanwhile() async throws {
        put(1, id: "a")
        try await poll()
        let fetched = transport.state.withLock { $0.fetches }
        for uid in UInt32(2)...501 { put(uid, id: "m\(uid)") }
        try await poll(adapter())  // a new adapter: the gateway restarted
        #expect(storedIDs.count == 501)
        #expect(transport.state.withLock { $0.fetches } - fetched == 500, "only the new ones are fetched")
        try await poll(adapter())
        #expect(storedIDs.count == 501)
    }

    @Test func aStoreFailureKeepsThePositionBeforeTheMessage() async throws {
        put(1, id: "a")
        try await poll()
        put(2, id: "b")
        put(3, id: "c")
        sink.inner.failing.withLock { $0 = true }
        await #expect(throws: MemorySink.Unavailable.self) { try await poll() }
        #expect(try await sink.positions.mailboxPosition(adapter: "mail", mailbox: "imap://127.0.0.1/INBOX")?.lastUID == 1)
        sink.inner.failing.withLock { $0 = false }
        try await poll()
        #expect(storedIDs == ["a@example.org", "b@example.org", "c@example.org"])
    }

    @Test func aNewUIDValidityReadsTheMailboxAgain() async throws {
        put(1, id: "a")
        put(2, id: "b")
        try await poll()
        transport.state.withLock { $0.uidValidity = 99 }
        try await poll()
        // Everything again: the store's idempotency (adapter, Message-ID) keeps them once.
        #expect(storedIDs == ["a@example.org", "b@example.org", "a@example.org", "b@example.org"])
        #expect(
            try await sink.positions.mailboxPosition(adapter: "mail", mailbox: "imap://127.0.0.1/INBOX")
                == MailboxPosition(uidValidity: 99, lastUID: 2))
    }

    @Test func eachMailboxHasItsOwnStatusAndLag() async throws {
        var settings = adapter().settings
        settings.mailboxNames = ["INBOX", "Support"]
        #expect(settings.imapMailboxes.map(\.url) == ["imap://127.0.0.1/INBOX", "imap://127.0.0.1/Support"])
        let adapter = EmailAdapter(id: "mail", settings: settings, mail: transport, logger: Logger(label: "test"))
        put(1, id: "a")
        let task = Task { try await adapter.run(sink: sink) }
        for _ in 0..<250 where adapter.mailboxes.count < 2 || adapter.mailboxes.contains(where: { $0.caughtUpAt == nil }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        task.cancel()
        try await task.value
        #expect(adapter.mailboxes.map(\.mailbox).sorted() == ["imap://127.0.0.1/INBOX", "imap://127.0.0.1/Support"])
        #expect(adapter.mailboxes.allSatisfy { $0.state == .running && $0.lagSeconds(now: Date()) ?? 99 < 5 })
    }
}

/// A memory sink that keeps mailbox positions, as the gateway's store does.
final class PositionedSink: InboundSink, Sendable {
    let inner = MemorySink()
    let positions = ProcessMailboxPositions()

    func store(_ events: [InboundEvent], adapter: String) async throws -> [IngestAcknowledgement] {
        try await inner.store(events, adapter: adapter)
    }

    var mailboxPositions: (any MailboxPositions)? { positions }
}
