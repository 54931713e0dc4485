import Foundation
import Logging
import SwitchboardAdapterAPI

extension EmailAdapter {
    /// Polls the IMAP mailbox every `poll` interval until cancelled; without `imap` it only waits.
    public func run(sink: any InboundSink) async throws {
        guard let account = settings.imap else {
            // Nothing to poll; returning would look like the adapter stopped.
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        guard let mail else { throw DeliveryFailure("this gateway was built without a mail transport", permanent: true) }
        while !Task.isCancelled {
            do {
                try await pollOnce(mail: mail, account: account, sink: sink)
                health.set(.running)
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                health.set(.degraded("IMAP \(account.url): \(error)"))
                logger.warning("email poll failed", metadata: ["adapter": "\(id)", "error": "\(error)"])
            }
            do {
                try await Task.sleep(for: settings.pollInterval)
            } catch {
                return
            }
        }
    }

    /// One pass over the unseen messages, oldest first. A message is marked seen only after the
    /// sink stored it, so a crash or a store failure leaves it for the next pass; one that cannot
    /// be parsed is marked seen at once, or it would be fetched again forever.
    func pollOnce(mail: any MailTransport, account: MailAccount, sink: any InboundSink) async throws {
        let uids = try await mail.unseenMessages(account: account)
        for uid in uids {
            try Task.checkCancellation()
            let raw = try await mail.fetchMessage(uid: uid, account: account)
            let events: [InboundEvent]
            do {
                events = try await decode(Array(raw))
            } catch {
                // The reason only: the message may hold anything, and logs are not the place for it.
                logger.warning(
                    "skipping a message that is not valid mail",
                    metadata: ["adapter": "\(id)", "uid": "\(uid)", "bytes": "\(raw.count)", "reason": "\(error.reason)"])
                try await mail.markSeen(uid: uid, account: account)
                continue
            }
            _ = try await sink.store(events, adapter: id)
            try await mail.markSeen(uid: uid, account: account)
        }
    }
}
