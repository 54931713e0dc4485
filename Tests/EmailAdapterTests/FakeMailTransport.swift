import Foundation
import SwitchboardAdapterAPI
import Synchronization

/// An in-memory mailbox and SMTP server: records what is sent, serves messages by UID, and fails
/// on demand.
final class FakeMailTransport: MailTransport, Sendable {
    struct Sent: Sendable {
        var data: Data
        var from: String
        var recipients: [String]
    }

    struct State {
        var sent: [Sent] = []
        var mailbox: [UInt32: Data] = [:]
        var seen: Set<UInt32> = []
        var sendFailure: MailTransportError?
        var mailboxFailure: MailTransportError?
        var uidValidity: UInt32 = 1
        var fetches = 0
        /// The account of every send, as the adapter passed it (with its OAuth2 bearer, if any).
        var accounts: [MailAccount] = []
    }

    let state = Mutex(State())

    func send(_ message: Data, from: String, to recipients: [String], account: MailAccount) async throws(MailTransportError) {
        if let failure = state.withLock({ $0.sendFailure }) { throw failure }
        state.withLock {
            $0.sent.append(Sent(data: message, from: from, recipients: recipients))
            $0.accounts.append(account)
        }
    }

    func unseenMessages(account: MailAccount) async throws(MailTransportError) -> [UInt32] {
        if let failure = state.withLock({ $0.mailboxFailure }) { throw failure }
        return state.withLock { state in state.mailbox.keys.filter { !state.seen.contains($0) }.sorted() }
    }

    func mailboxSnapshot(account: MailAccount, after position: MailboxPosition?) async throws(MailTransportError) -> MailboxSnapshot {
        if let failure = state.withLock({ $0.mailboxFailure }) { throw failure }
        return state.withLock { state in
            let uids: [UInt32]
            if let position, position.uidValidity == state.uidValidity {
                uids = state.mailbox.keys.filter { $0 > position.lastUID }
            } else if position == nil {
                uids = state.mailbox.keys.filter { !state.seen.contains($0) }
            } else {
                uids = Array(state.mailbox.keys)
            }
            return MailboxSnapshot(
                uidValidity: state.uidValidity, uidNext: (state.mailbox.keys.max() ?? 0) + 1, uids: uids.sorted(), offersIdle: false)
        }
    }

    func fetchMessage(uid: UInt32, account: MailAccount) async throws(MailTransportError) -> Data {
        state.withLock { $0.fetches += 1 }
        guard let data = state.withLock({ $0.mailbox[uid] }) else { throw MailTransportError("no message \(uid)", permanent: true) }
        return data
    }

    func markSeen(uid: UInt32, account: MailAccount) async throws(MailTransportError) {
        state.withLock { _ = $0.seen.insert(uid) }
    }
}

/// A sink that stores into memory, or fails while `failing` is set.
final class MemorySink: InboundSink, Sendable {
    let stored = Mutex<[InboundMessage]>([])
    let failing = Mutex(false)

    struct Unavailable: Error {}

    func store(_ events: [InboundEvent], adapter: String) async throws -> [IngestAcknowledgement] {
        if failing.withLock({ $0 }) { throw Unavailable() }
        return stored.withLock { stored in
            events.map { event in
                if case .message(let message) = event { stored.append(message) }
                return .stored(messageID: Int64(stored.count))
            }
        }
    }
}
