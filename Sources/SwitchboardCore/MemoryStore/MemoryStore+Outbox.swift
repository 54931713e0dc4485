import Foundation
import SwitchboardAdapterAPI

extension MemoryStore {
    public func claimDeliveries(now: Date, limit: Int, claimer: String, leaseUntil: Date) async throws -> [OutboxItem] {
        tables.withLock { t in
            let due = t.outbox.filter { $0.value.nextAttemptAt <= now && ($0.value.leaseUntil.map { $0 < now } ?? true) }
                .sorted { ($0.value.nextAttemptAt, $0.key) < ($1.value.nextAttemptAt, $1.key) }.prefix(limit)
            return due.compactMap { id, row in
                guard let message = t.messages[id], let conversation = t.conversations[message.record.conversationID] else { return nil }
                t.outbox[id]?.claimedBy = claimer
                t.outbox[id]?.leaseUntil = leaseUntil
                return OutboxItem(
                    messageID: id, conversationID: conversation.id, adapter: row.adapter, address: message.address ?? "",
                    threadRef: message.threadRef, body: message.record.body, inReplyToExternalID: row.inReplyToExternalID,
                    attempts: row.attempts, quoted: row.quoted, purpose: row.purpose, customerName: t.customers[conversation.customerID]?.name,
                    inReplyToMetadata: message.record.inReplyTo.flatMap { t.messages[$0]?.record.metadata } ?? [:],
                    metadata: message.record.metadata ?? [:])
            }
        }
    }

    public func completeDelivery(message: Int64, result: DeliveryAttemptResult, at: Date) async throws -> MessageRecord? {
        tables.withLock { t in
            // A claim whose row is gone was completed already (e.g. after a lease ran out); keep the first result.
            guard t.outbox[message] != nil, var row = t.messages[message] else { return nil }
            let attempts = (row.record.delivery?.attempts ?? 0) + 1
            switch result {
            case .delivered(let receipt):
                row.record.delivery = DeliveryInfo(state: receipt.state == .sent ? .sent : .delivered, attempts: attempts)
                row.record.sentAt = at
                if let external = receipt.externalID, let adapter = row.record.adapter {
                    row.record.externalID = external
                    t.messageIndex[MessageKey(adapter: adapter, externalID: external, direction: .outbound)] = message
                    for (state, error) in t.earlyStatuses.removeValue(forKey: adapter + "\u{0}" + external) ?? [] {
                        Self.advance(&row, to: state, error: error)
                    }
                }
                t.outbox[message] = nil
            case .retry(let error, let retryAt):
                row.record.delivery = DeliveryInfo(state: row.record.delivery?.state ?? .queued, attempts: attempts, error: error)
                t.outbox[message]?.attempts += 1
                t.outbox[message]?.nextAttemptAt = retryAt
                t.outbox[message]?.claimedBy = nil
                t.outbox[message]?.leaseUntil = nil
            case .failed(let error):
                row.record.delivery = DeliveryInfo(state: .failed, attempts: attempts, error: error)
                t.outbox[message] = nil
            }
            t.messages[message] = row
            return row.record
        }
    }

    public func nextDeliveryDue() async throws -> Date? {
        tables.withLock { $0.outbox.values.filter { $0.claimedBy == nil }.map(\.nextAttemptAt).min() }
    }

    public func retryDelivery(message: Int64, at: Date) async throws -> MessageRecord? {
        tables.withLock { t in
            guard var row = t.messages[message], row.record.direction == .outbound, row.record.delivery?.state == .failed,
                let adapter = row.record.adapter
            else { return nil }
            row.record.delivery = DeliveryInfo(state: .queued, attempts: 0)
            t.messages[message] = row
            let answered = row.record.inReplyTo.flatMap { t.messages[$0]?.record.externalID }
            // An acknowledgement sent again is still one (its metadata says so).
            let purpose = row.record.metadata?["purpose"].flatMap(OutboundMessage.Purpose.init(rawValue:)) ?? .reply
            t.outbox[message] = OutboxRow(adapter: adapter, inReplyToExternalID: answered, nextAttemptAt: at, quoted: false, purpose: purpose)
            return row.record
        }
    }

    public func releaseClaims(claimer: String) async throws {
        tables.withLock { t in
            for id in t.outbox.keys {
                t.outbox[id]?.claimedBy = nil
                t.outbox[id]?.leaseUntil = nil
            }
        }
    }
}
