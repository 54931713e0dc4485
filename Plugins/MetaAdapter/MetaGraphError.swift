import Foundation
import SwitchboardAdapterAPI

/// The error object of a Graph API answer:
/// `{"error":{"message","type","code","error_subcode","error_data":{"details"},"is_transient","fbtrace_id"}}`.
struct MetaGraphError: Sendable, Equatable {
    var message: String?
    var type: String?
    var code: Int?
    var subcode: Int?
    var details: String?
    var isTransient: Bool
    var traceID: String?

    /// Nil when the body is not a Graph error document (a proxy's HTML page, an empty 502).
    init?(body: [UInt8]) {
        guard let document = try? JSONValue.parse(body), let error = document.field("error"), error.isObject else { return nil }
        message = error.string("message")
        type = error.string("type")
        code = error.string("code").flatMap { Int($0) }
        subcode = error.string("error_subcode").flatMap { Int($0) }
        // `error_data` is an object on WhatsApp and sometimes a JSON-encoded string elsewhere.
        details = error.field("error_data")?.string("details") ?? error.string("error_user_msg")
        isTransient = error.flag("is_transient")
        traceID = error.string("fbtrace_id")
    }

    /// Codes Meta documents as throttling or temporary trouble. They are retried even when the
    /// HTTP status is 400, which is how the Graph API reports most rate limits.
    static let transientCodes: Set<Int> = [
        1, 2,  // unknown / temporarily unavailable API error
        4, 17, 32, 341, 613,  // application, user, page and call-rate limits
        1200,  // Messenger: temporary send failure
        80007,  // WhatsApp Business Account rate limit
        130429,  // Cloud API throughput reached
        131000,  // "Something went wrong"
        131016,  // service overloaded
        131048,  // spam rate limit
        131056,  // too many messages to the same recipient
        133004,  // server temporarily unavailable
    ]

    /// Codes that will fail the same way however often they are retried, even if a proxy wraps
    /// them in a 5xx.
    static let permanentCodes: Set<Int> = [
        10, 100, 190, 200, 368, 551, 2_018_278,
        131008, 131009, 131021, 131026, 131030, 131031, 131042, 131045, 131047, 131051, 131052, 131053,
        132000, 132001, 132005, 132007, 132012, 132015, 132016,
    ]

    /// What the agent can do about codes that need a person, appended to the platform's own words.
    func hint(outsideWindowHint: String?) -> String? {
        // WhatsApp says 131047; Messenger and Instagram say code 10 with subcode 2018278.
        if code == 131047 || subcode == 2_018_278 {
            return "the 24-hour customer-service window is closed" + (outsideWindowHint.map { "; \($0)" } ?? "")
        }
        switch code {
        case 131026:
            return "the recipient cannot receive WhatsApp messages from this number (not on WhatsApp, outdated app, or terms not accepted)"
        case 131051:
            return "WhatsApp does not support this message type"
        case 190:
            return "the access token is invalid or expired: renew it and restart the gateway"
        case 10, 200:
            return "the access token lacks the permission to send messages"
        case 551:
            return "this person is not available right now"
        default:
            return nil
        }
    }

    /// `error 131047/2494010: Re-engagement message: More than 24 hours have passed …`.
    var summary: String {
        var head = "error \(code.map(String.init) ?? "?")"
        if let subcode { head += "/\(subcode)" }
        var text = message ?? type ?? "no message"
        if let details, details != message { text += ": \(details)" }
        return "\(head): \(text)"
    }

    /// Classifies a non-2xx answer of the Graph API. Transient (retried with backoff, honouring
    /// `Retry-After`): 408/425/429/5xx and Meta's throttling codes; permanent: everything else,
    /// with the platform's message kept visible for the agent.
    static func failure(for response: HTTPResponse, platform: String, outsideWindowHint: String?) -> DeliveryFailure {
        let retryAfter = retryAfter(response)
        let httpRetryable = [408, 425, 429].contains(response.status) || response.status >= 500
        guard let error = MetaGraphError(body: response.body) else {
            let snippet = String(response.bodyText.prefix(200)).trimmed
            return DeliveryFailure(
                "\(platform) answered HTTP \(response.status)\(snippet.isEmpty ? "" : ": \(snippet)")",
                permanent: !httpRetryable, retryAfter: retryAfter)
        }
        let transient: Bool
        if error.isTransient || error.code.map(transientCodes.contains) == true {
            transient = true
        } else if error.code.map(permanentCodes.contains) == true || error.subcode.map(permanentCodes.contains) == true {
            transient = false
        } else {
            transient = httpRetryable
        }
        var reason = "\(platform) refused the message (HTTP \(response.status), \(error.summary))"
        if let hint = error.hint(outsideWindowHint: outsideWindowHint) { reason += "; \(hint)" }
        if let trace = error.traceID { reason += " [fbtrace_id \(trace)]" }
        return DeliveryFailure(reason, permanent: !transient, retryAfter: retryAfter)
    }

    /// `Retry-After` as seconds or as an HTTP date.
    static func retryAfter(_ response: HTTPResponse) -> Duration? {
        guard let value = response.header("Retry-After")?.trimmed, !value.isEmpty else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        guard let date = Timestamps.parseHTTPDate(value) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSinceNow.rounded(.up))))
    }
}
