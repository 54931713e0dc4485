import Foundation
import SwitchboardAdapterAPI

/// Reads an X API v2 answer: `{"data":{…}}` on success; `{"title","detail","status"}` or
/// `{"errors":[{"message"}]}` on failure.
enum XSendResult {
    static func interpret(_ response: HTTPResponse, idPointer: String, now: Date) throws -> DeliveryReceipt {
        let document = try? JSONValue.parse(response.body)
        if (200..<300).contains(response.status) {
            // Accepted into the conversation; X reports no delivery later (only read marks).
            return DeliveryReceipt(externalID: document?[pointer: idPointer]?.nonEmptyText, state: .delivered)
        }
        let detail =
            document?["detail"]?.nonEmptyText
            ?? document?["errors"]?.arrayValue?.first.flatMap { $0["message"]?.nonEmptyText ?? $0["detail"]?.nonEmptyText }
            ?? document?["title"]?.nonEmptyText
            ?? String(response.bodyText.prefix(200))
        let reason = "X answered HTTP \(response.status)\(detail.isEmpty ? "" : ": \(detail)")"
        switch response.status {
        case 429:
            throw DeliveryFailure(reason, permanent: false, retryAfter: retryAfter(response, now: now))
        case 408, 425, 500...:
            throw DeliveryFailure(reason, permanent: false, retryAfter: retryAfter(response, now: now))
        default:
            // 401/403: bad token, missing scope, or the customer does not accept DMs from us;
            // 400: a bad request. Repeating it changes nothing.
            throw DeliveryFailure(reason, permanent: true)
        }
    }

    /// `Retry-After` seconds, else the rate-limit window's end (`x-rate-limit-reset`, epoch seconds).
    static func retryAfter(_ response: HTTPResponse, now: Date) -> Duration? {
        if let seconds = response.header("Retry-After").flatMap({ Int64($0.trimmed) }) { return .seconds(max(0, seconds)) }
        guard let reset = response.header("x-rate-limit-reset").flatMap({ Double($0.trimmed) }) else { return nil }
        // A reset that is no number of seconds (1e300, nan) would trap converting: the outbox's
        // own backoff applies then.
        let wait = (reset - now.timeIntervalSince1970).rounded(.up)
        guard wait.isFinite, abs(wait) < 1e15 else { return nil }
        return .seconds(max(1, Int64(wait)))
    }
}
