import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore

/// Stores what an LMTP transaction carried and turns the outcome into the replies the MTA acts on:
/// `250` only once the message is committed, `451 4.3.0` when storage cannot take it now (the MTA
/// keeps it queued), `550 5.6.0` only for what can never be stored, `552 5.3.4` over the adapter's
/// size limit.
struct LMTPDeliverer: Sendable {
    let pipeline: InboundPipeline
    let logger: Logger
    let metrics: LMTPMetrics

    /// One adapter's share of a transaction: its recipients, in `RCPT` order.
    struct Share: Sendable {
        var mailbox: LMTPListener.Mailbox
        var recipients: [String]
    }

    /// The reply line (without CRLF) for each share, in order.
    func deliver(_ message: [UInt8], sender: String, shares: [Share], receivedAt: Date) async -> [String] {
        var replies: [String] = []
        for share in shares {
            replies.append(await deliver(message, sender: sender, share: share, receivedAt: receivedAt))
        }
        return replies
    }

    private func deliver(_ message: [UInt8], sender: String, share: Share, receivedAt: Date) async -> String {
        let adapter = share.mailbox.adapter.id
        guard message.count <= share.mailbox.maxMessageBytes else {
            metrics.delivered(adapter: adapter, result: .tooLarge)
            return "552 5.3.4 message larger than \(share.mailbox.maxMessageBytes) bytes"
        }
        let delivery = MailDelivery(
            message: message, envelope: MailEnvelope(sender: sender, recipients: share.recipients), receivedAt: receivedAt)
        let started = ContinuousClock.now
        do {
            let answer = try await pipeline.receive(adapter: adapter, delivery: delivery)
            metrics.committed(adapter: adapter, after: ContinuousClock.now - started)
            if let id = answer.stored.first {
                metrics.delivered(adapter: adapter, result: .stored)
                return "250 2.0.0 stored as message \(id)"
            }
            if let id = answer.duplicates.first {
                metrics.delivered(adapter: adapter, result: .duplicate)
                return "250 2.0.0 already stored as message \(id)"
            }
            metrics.delivered(adapter: adapter, result: .stored)
            return "250 2.0.0 accepted"
        } catch let error as InboundError {
            metrics.delivered(adapter: adapter, result: .rejected)
            return "550 5.6.0 message cannot be stored: \(Self.oneLine(error.reason))"
        } catch {
            metrics.delivered(adapter: adapter, result: .deferred)
            logger.warning("LMTP delivery deferred: storage unavailable", metadata: ["adapter": "\(adapter)", "error": "\(error)"])
            return "451 4.3.0 storage unavailable, try again later"
        }
    }

    /// A reason fit for one reply line: no line ends, at most 200 characters.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\r" ? " " : $0 }.prefix(200))
    }
}
