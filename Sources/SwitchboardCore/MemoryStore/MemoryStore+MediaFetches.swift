import Foundation
import SwitchboardAdapterAPI

/// A media-fetch job as the memory engine keeps it (ingestion writes it with the message).
struct MediaFetchRow {
    var adapter: String
    var attempts = 0
    var dueAt: Date
    var lastError: String?
}

extension MemoryStore {
    public func dueMediaFetches(now: Date, limit: Int) async throws -> [MediaFetchJob] {
        tables.withLock { t in
            t.mediaFetches.filter { $0.value.dueAt <= now }
                .sorted { ($0.value.dueAt, $0.key) < ($1.value.dueAt, $1.key) }
                .prefix(limit)
                .map { id, row in
                    MediaFetchJob(
                        message: id, adapter: row.adapter, attempts: row.attempts, dueAt: row.dueAt, lastError: row.lastError,
                        attachments: t.messages[id]?.record.attachments ?? [])
                }
        }
    }

    public func nextMediaFetchDue() async throws -> Date? {
        tables.withLock { $0.mediaFetches.values.map(\.dueAt).min() }
    }

    public func recordMediaFetch(_ result: MediaFetchResult, at: Date) async throws -> (message: MessageRecord, access: ConversationAccess)? {
        tables.withLock { t in
            guard var row = t.messages[result.message], let conversation = t.conversations[row.record.conversationID] else {
                t.mediaFetches[result.message] = nil
                return nil
            }
            var attachments = row.record.attachments ?? []
            for (index, settled) in result.settled where index < attachments.count && attachments[index].isFetching {
                if let kept = settled.keptAsStored() {
                    t.contents[kept.sha256] = kept.content
                    t.contentRefs[kept.sha256, default: 0] += 1
                    attachments[index] = kept.attachment
                } else {
                    attachments[index] = settled
                }
            }
            row.record.attachments = attachments.isEmpty ? nil : attachments
            t.messages[result.message] = row
            if let retryAt = result.retryAt, attachments.contains(where: \.isFetching) {
                t.mediaFetches[result.message]?.attempts = result.attempts
                t.mediaFetches[result.message]?.dueAt = retryAt
                t.mediaFetches[result.message]?.lastError = result.error
            } else {
                t.mediaFetches[result.message] = nil
            }
            return (row.record, conversation.access)
        }
    }
}
