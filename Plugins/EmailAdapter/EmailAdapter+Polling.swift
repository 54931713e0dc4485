import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

extension EmailAdapter {
    /// Reads every configured IMAP mailbox (``EmailSettings/imapMailboxes``) until cancelled, each
    /// on its own: one slow or broken mailbox never delays another. Without `imap` it only waits.
    public func run(sink: any InboundSink) async throws {
        let accounts = settings.imapMailboxes
        let keepers = oauth2.keepers(settings: settings)
        guard !accounts.isEmpty || !keepers.isEmpty else {
            // Nothing to poll; returning would look like the adapter stopped.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        guard let mail else { throw DeliveryFailure("this gateway was built without a mail transport", permanent: true) }
        let positions = sink.mailboxPositions ?? ProcessMailboxPositions()
        let retry = settings.pollInterval
        await withDiscardingTaskGroup { group in
            for (source, scope) in keepers {
                group.addTask { await source.keepFresh(scope: scope, retry: retry) }
            }
            for account in accounts {
                let reader = MailboxReader(adapter: self, mail: mail, account: account, positions: positions, sink: sink)
                group.addTask { await reader.run() }
            }
        }
    }

    /// One pass over the mailbox the IMAP URL names, as ``run(sink:)`` makes them (tests).
    func pollOnce(mail: any MailTransport, account: MailAccount, sink: any InboundSink) async throws {
        let positions = sink.mailboxPositions ?? ProcessMailboxPositions()
        _ = try await MailboxReader(adapter: self, mail: mail, account: account, positions: positions, sink: sink).readOnce()
    }
}

/// Reads one IMAP mailbox into the sink, by UID: every message above the saved position (its
/// `UIDVALIDITY` and last UID, kept by the store) is fetched, stored, and only then counted as
/// read, so neither a restart nor an outage of hours skips or repeats mail, and a message a human
/// read first is still stored (`\Seen` is set for the humans' benefit, not relied on). Where the
/// server offers `IDLE`, the reader waits in it between passes and new mail is stored within a
/// second; otherwise it polls every `imap.poll`.
struct MailboxReader: Sendable {
    let adapter: EmailAdapter
    let mail: any MailTransport
    let account: MailAccount
    let positions: any MailboxPositions
    let sink: any InboundSink

    /// Messages fetched per IMAP round trip.
    static let batch = 50
    /// How long one `IDLE` lasts before it is renewed (RFC 2177: servers may drop it after 30 minutes).
    static let idleRenewal: Duration = .seconds(300)

    /// The mailbox's key in the store and in `/readyz`: its URL (never credentials).
    var key: String { account.url }

    /// How this mailbox logs in (password, or an OAuth2 token put in per call).
    var login: MailLogin { adapter.imapLogin(account) }

    func run() async {
        let board = adapter.mailboxBoard
        board.update(key) { _ in }
        // Stopped (shutdown, or another gateway leads now): no longer waiting for anything here.
        defer { board.update(key) { $0.idling = false } }
        while !Task.isCancelled {
            do {
                let (snapshot, position) = try await readOnce()
                board.update(key) { $0.state = .running }
                if snapshot.offersIdle {
                    board.update(key) { $0.idling = true }
                    let outcome = try await login.run { account throws(MailTransportError) in
                        try await mail.waitForMail(account: account, after: position.lastUID, timeout: Self.idleRenewal)
                    }
                    board.update(key) { $0.idling = false }
                    // New mail or the renewal: read again at once.
                    if outcome != .unsupported { continue }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                let reason = (error as? MailTransportError)?.reason ?? "\(error)"
                board.update(key) {
                    // No token: the same for every mailbox, and said so once by the adapter.
                    $0.state = .degraded(error is OAuth2Failure ? "\(error)" : "IMAP \(key): \(reason)")
                    $0.idling = false
                }
                adapter.logger.warning("email poll failed", metadata: ["adapter": "\(adapter.id)", "mailbox": "\(key)", "error": "\(reason)"])
            }
            do {
                try await Task.sleep(for: adapter.settings.pollInterval)
            } catch {
                return
            }
        }
    }

    /// One pass: everything after the saved position, oldest first, in batches. Returns what the
    /// mailbox looked like and how far it is read now.
    func readOnce() async throws -> (MailboxSnapshot, MailboxPosition) {
        let saved = try await positions.mailboxPosition(adapter: adapter.id, mailbox: key)
        let snapshot = try await login.run { account throws(MailTransportError) in
            try await mail.mailboxSnapshot(account: account, after: saved)
        }
        let tracking = saved?.uidValidity == snapshot.uidValidity
        if let saved, !tracking {
            adapter.logger.notice(
                "IMAP mailbox renumbered (UIDVALIDITY changed): reading it again; what is stored already stays once",
                metadata: [
                    "adapter": "\(adapter.id)", "mailbox": "\(key)", "was": "\(saved.uidValidity)", "now": "\(snapshot.uidValidity)",
                ])
        }
        var position = MailboxPosition(uidValidity: snapshot.uidValidity, lastUID: tracking ? saved!.lastUID : 0)
        let board = adapter.mailboxBoard
        board.update(key) { $0.pending = snapshot.uids.count }
        var start = 0
        while start < snapshot.uids.count {
            try Task.checkCancellation()
            let uids = Array(snapshot.uids[start..<min(start + Self.batch, snapshot.uids.count)])
            start += uids.count
            let messages = try await login.run { account throws(MailTransportError) in
                try await mail.fetchMessages(uids: uids, account: account)
            }
            var stored: [UInt32] = []
            for uid in uids {
                // Gone meanwhile (expunged by someone): nothing to store.
                if let raw = messages[uid] {
                    try await store(raw, uid: uid)
                    stored.append(uid)
                }
                position.lastUID = max(position.lastUID, uid)
                // Without a position yet (the first pass reads the unseen only) the position is
                // saved once at the end: saved midway, the read mail above it would be taken next.
                if saved != nil { try await positions.saveMailboxPosition(position, adapter: adapter.id, mailbox: key, at: Date()) }
                board.update(key) {
                    $0.pending -= 1
                    $0.position = position
                }
            }
            try await login.run { account throws(MailTransportError) in
                try await mail.markSeen(uids: stored, account: account)
            }
        }
        if let next = snapshot.uidNext, next > 0 { position.lastUID = max(position.lastUID, next - 1) }
        if saved != position {
            try await positions.saveMailboxPosition(position, adapter: adapter.id, mailbox: key, at: Date())
        }
        board.update(key) {
            $0.caughtUpAt = Date()
            $0.pending = 0
            $0.position = position
        }
        return (snapshot, position)
    }

    /// Stores one message; one that is not mail at all is logged (without its contents) and
    /// skipped, or it would block the mailbox forever.
    private func store(_ raw: Data, uid: UInt32) async throws {
        let events: [InboundEvent]
        do {
            events = try await adapter.decode(Array(raw))
        } catch {
            adapter.logger.warning(
                "skipping a message that is not valid mail",
                metadata: ["adapter": "\(adapter.id)", "uid": "\(uid)", "bytes": "\(raw.count)", "reason": "\(error.reason)"])
            return
        }
        _ = try await sink.store(events, adapter: adapter.id)
    }
}

/// Positions kept in memory for the process's lifetime, where the sink keeps none (tests, tools).
final class ProcessMailboxPositions: MailboxPositions {
    private let positions = Mutex<[String: MailboxPosition]>([:])

    func mailboxPosition(adapter: String, mailbox: String) async throws -> MailboxPosition? {
        positions.withLock { $0[adapter + "\n" + mailbox] }
    }

    func saveMailboxPosition(_ position: MailboxPosition, adapter: String, mailbox: String, at: Date) async throws {
        positions.withLock { $0[adapter + "\n" + mailbox] = position }
    }
}

/// Each mailbox's status, shared by the adapter's copies (the readers write, `/readyz` reads).
final class MailboxBoard: Sendable {
    private let statuses = Mutex<[String: MailboxStatus]>([:])
    private let order = Mutex<[String]>([])

    func update(_ mailbox: String, _ change: (inout MailboxStatus) -> Void) {
        statuses.withLock { statuses in
            if statuses[mailbox] == nil {
                statuses[mailbox] = MailboxStatus(mailbox: mailbox)
                order.withLock { $0.append(mailbox) }
            }
            change(&statuses[mailbox]!)
        }
    }

    var all: [MailboxStatus] {
        let keys = order.withLock { $0 }
        return statuses.withLock { statuses in keys.compactMap { statuses[$0] } }
    }

    /// Every mailbox's reason to be degraded, each once.
    var problems: [String] {
        var reasons: [String] = []
        for status in all {
            if case .degraded(let why) = status.state, !reasons.contains(why) { reasons.append(why) }
        }
        return reasons
    }
}
