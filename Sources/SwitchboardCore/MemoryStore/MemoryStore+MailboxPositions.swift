import Foundation
import SwitchboardAdapterAPI

extension MemoryStore {
    /// A mailbox's position, by adapter and mailbox.
    struct MailboxKey: Hashable {
        var adapter: String
        var mailbox: String
    }

    public func mailboxPosition(adapter: String, mailbox: String) async throws -> MailboxPosition? {
        positionTable.withLock { $0[MailboxKey(adapter: adapter, mailbox: mailbox)] }
    }

    public func saveMailboxPosition(_ position: MailboxPosition, adapter: String, mailbox: String, at: Date) async throws {
        positionTable.withLock { $0[MailboxKey(adapter: adapter, mailbox: mailbox)] = position }
    }
}
