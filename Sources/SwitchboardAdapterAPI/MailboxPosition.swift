import Foundation

/// How far a mailbox has been read: its `UIDVALIDITY` and the highest UID stored from it. Every
/// message with a greater UID under the same `UIDVALIDITY` is still to be read, whatever its
/// flags (a human may have read it first); a different `UIDVALIDITY` means the server renumbered
/// the mailbox and it is read again from the start (the store's idempotency keeps the messages
/// already stored out).
public struct MailboxPosition: Sendable, Equatable {
    /// The mailbox's `UIDVALIDITY` when ``lastUID`` was read.
    public var uidValidity: UInt32
    /// The highest UID stored (or deliberately skipped); 0 before the first.
    public var lastUID: UInt32

    /// A position in a mailbox.
    public init(uidValidity: UInt32, lastUID: UInt32) {
        self.uidValidity = uidValidity
        self.lastUID = lastUID
    }
}

/// Where a mailbox-reading adapter keeps its ``MailboxPosition`` durably (the gateway's store), so
/// that neither a restart nor an outage of hours skips or repeats a message. One position per
/// adapter and mailbox.
public protocol MailboxPositions: Sendable {
    /// The position last saved for `mailbox` of `adapter`; nil before the first.
    func mailboxPosition(adapter: String, mailbox: String) async throws -> MailboxPosition?
    /// Saves the position (replacing the previous one) before it returns.
    func saveMailboxPosition(_ position: MailboxPosition, adapter: String, mailbox: String, at: Date) async throws
}

/// What an IMAP mailbox holds beyond a position: what a selecting client learns.
public struct MailboxSnapshot: Sendable, Equatable {
    /// The mailbox's `UIDVALIDITY`.
    public var uidValidity: UInt32
    /// The UID the next message will get (`UIDNEXT`), when the server said.
    public var uidNext: UInt32?
    /// UIDs of the messages asked for, ascending.
    public var uids: [UInt32]
    /// Whether the server offers `IDLE` (RFC 2177).
    public var offersIdle: Bool

    /// A snapshot.
    public init(uidValidity: UInt32, uidNext: UInt32?, uids: [UInt32], offersIdle: Bool) {
        self.uidValidity = uidValidity
        self.uidNext = uidNext
        self.uids = uids
        self.offersIdle = offersIdle
    }
}

/// How an `IDLE` wait ended.
public enum IdleOutcome: Sendable, Equatable {
    /// The server announced new mail (or had it already).
    case newMail
    /// Nothing arrived within the time given.
    case timedOut
    /// The server does not offer `IDLE`: poll instead.
    case unsupported
}

/// One mailbox an adapter reads, as `/readyz` and `/metrics` show it.
public struct MailboxStatus: Sendable, Equatable {
    /// The mailbox (its IMAP URL, without credentials).
    public var mailbox: String
    /// Running, or degraded with the reason.
    public var state: AdapterState
    /// Whether the reader is waiting in `IDLE` now (new mail is announced, not polled for).
    public var idling: Bool
    /// When the mailbox was last read to its end; nil before the first time.
    public var caughtUpAt: Date?
    /// Messages found in the last pass and not yet stored.
    public var pending: Int
    /// How far it has been read.
    public var position: MailboxPosition?

    /// A mailbox not read yet.
    public init(
        mailbox: String, state: AdapterState = .running, idling: Bool = false, caughtUpAt: Date? = nil, pending: Int = 0,
        position: MailboxPosition? = nil
    ) {
        self.mailbox = mailbox
        self.state = state
        self.idling = idling
        self.caughtUpAt = caughtUpAt
        self.pending = pending
        self.position = position
    }

    /// Seconds since mail that arrived could have been missed: 0 while waiting in `IDLE` (the
    /// server announces new mail) with nothing pending, else the time since the mailbox was last
    /// read to its end; nil before it ever was.
    public func lagSeconds(now: Date) -> Double? {
        if idling, pending == 0, state == .running { return 0 }
        return caughtUpAt.map { max(0, now.timeIntervalSince($0)) }
    }
}
