import SwitchboardAdapterAPI

/// Reads a Messages API answer: the message resource (`sid`, `status`) on success, else
/// `{"code","message","more_info","status"}`.
enum TwilioSendResult {
    /// Error codes that come with a 4xx status but clear up by themselves.
    static let transientCodes: Set<Int64> = [
        20429,  // too many requests
        21611,  // this From number has too many messages queued
    ]

    static func interpret(_ response: HTTPResponse) throws -> DeliveryReceipt {
        let document = try? JSONValue.parse(response.body)
        if (200..<300).contains(response.status) {
            // Twilio queued it; the status callback reports `sent`, `delivered` or `failed` later.
            return DeliveryReceipt(externalID: document?["sid"]?.nonEmptyText, state: .sent)
        }
        let code = document?["code"]?.int64Value
        let message = document?["message"]?.nonEmptyText ?? String(response.bodyText.prefix(200))
        let reason = "Twilio answered HTTP \(response.status)" + (code.map { ", error \($0)" } ?? "") + (message.isEmpty ? "" : ": \(message)")
        let retryAfter = response.header("Retry-After").flatMap { Int64($0.trimmed) }.map { Duration.seconds($0) }
        switch response.status {
        case 408, 425, 429, 500...:
            throw DeliveryFailure(reason, permanent: false, retryAfter: retryAfter)
        default:
            // 400 with 21610 (unsubscribed), 21211 (invalid number) …, 401 (bad credentials):
            // the same request gets the same answer.
            let transient = code.map(transientCodes.contains) ?? false
            throw DeliveryFailure(reason, permanent: !transient, retryAfter: retryAfter)
        }
    }
}
