import Foundation
import SwitchboardAdapterAPI

/// Decides what one attempt at a media-fetch job means: which attachments are settled (fetched
/// within the limit, or failed for good) and when the rest is tried again. Pure: the worker
/// fetches, the store writes what this decides.
public enum MediaFetchPlanner {
    /// - Parameters:
    ///   - outcomes: what fetching each attachment (by index) brought this time.
    ///   - limit: the adapter's largest content, in bytes.
    ///   - schedule: the backoff and the attempts allowed (the outbox's `delivery:` settings).
    public static func plan(
        _ job: MediaFetchJob, outcomes: [Int: Result<FetchedMedia, MediaFetchFailure>], limit: Int, schedule: DeliverySettings,
        now: Date, jitter: Double = Double.random(in: -0.1...0.1)
    ) -> MediaFetchResult {
        var settled: [Int: Attachment] = [:]
        var pending: [Int] = []
        var lastError: String?
        for (index, attachment) in job.attachments.enumerated() where attachment.isFetching {
            switch outcomes[index] {
            case .success(let media)?:
                if media.content.count > limit {
                    settled[index] = attachment.fetchFailed("larger than this adapter's limit of \(limit) bytes")
                } else {
                    settled[index] = attachment.fetched(media)
                }
            case .failure(let failure)? where failure.permanent:
                settled[index] = attachment.fetchFailed(failure.reason)
            case .failure(let failure)?:
                pending.append(index)
                lastError = failure.reason
            case nil:
                pending.append(index)
            }
        }
        guard !pending.isEmpty else {
            return MediaFetchResult(message: job.message, settled: settled, retryAt: nil, attempts: job.attempts, error: nil)
        }
        let attempts = job.attempts + 1
        if attempts >= schedule.maxAttempts {
            let reason = "gave up after \(attempts) attempts: \(lastError ?? "no answer")"
            for index in pending { settled[index] = job.attachments[index].fetchFailed(reason) }
            return MediaFetchResult(message: job.message, settled: settled, retryAt: nil, attempts: attempts, error: lastError)
        }
        let wait = schedule.backoff(afterFailures: attempts, jitter: jitter)
        return MediaFetchResult(
            message: job.message, settled: settled, retryAt: now.addingTimeInterval(wait), attempts: attempts, error: lastError)
    }
}
