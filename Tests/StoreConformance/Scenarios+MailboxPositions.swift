import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// How far each mailbox has been read (IMAP UIDVALIDITY and last UID).
extension StoreConformance {
    static let mailboxPositionScenarios: [StoreScenario] = [
        StoreScenario("a mailbox position is kept per adapter and mailbox, and replaced when saved again", on: mailboxPositions),
        StoreScenario("mailbox positions hold the whole range of 32-bit UIDs and UIDVALIDITY values", on: mailboxPositionRange),
    ]

    @Sendable static func mailboxPositions(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try await store.mailboxPosition(adapter: "mail", mailbox: "imap://h/INBOX") == nil)
        try await store.saveMailboxPosition(MailboxPosition(uidValidity: 7, lastUID: 12), adapter: "mail", mailbox: "imap://h/INBOX", at: now)
        try await store.saveMailboxPosition(MailboxPosition(uidValidity: 9, lastUID: 3), adapter: "mail", mailbox: "imap://h/Support", at: now)
        try await store.saveMailboxPosition(MailboxPosition(uidValidity: 1, lastUID: 1), adapter: "other", mailbox: "imap://h/INBOX", at: now)
        #expect(try await store.mailboxPosition(adapter: "mail", mailbox: "imap://h/INBOX") == MailboxPosition(uidValidity: 7, lastUID: 12))
        #expect(try await store.mailboxPosition(adapter: "mail", mailbox: "imap://h/Support") == MailboxPosition(uidValidity: 9, lastUID: 3))
        #expect(try await store.mailboxPosition(adapter: "other", mailbox: "imap://h/INBOX") == MailboxPosition(uidValidity: 1, lastUID: 1))
        // Read on, then renumbered by the server: the new UIDVALIDITY starts over.
        try await store.saveMailboxPosition(MailboxPosition(uidValidity: 7, lastUID: 500), adapter: "mail", mailbox: "imap://h/INBOX", at: now)
        #expect(try await store.mailboxPosition(adapter: "mail", mailbox: "imap://h/INBOX") == MailboxPosition(uidValidity: 7, lastUID: 500))
        try await store.saveMailboxPosition(MailboxPosition(uidValidity: 8, lastUID: 0), adapter: "mail", mailbox: "imap://h/INBOX", at: now)
        #expect(try await store.mailboxPosition(adapter: "mail", mailbox: "imap://h/INBOX") == MailboxPosition(uidValidity: 8, lastUID: 0))
    }

    @Sendable static func mailboxPositionRange(_ store: any Store) async throws {
        let top = MailboxPosition(uidValidity: UInt32.max, lastUID: UInt32.max - 1)
        try await store.saveMailboxPosition(top, adapter: "mail", mailbox: "INBOX", at: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try await store.mailboxPosition(adapter: "mail", mailbox: "INBOX") == top)
    }
}
