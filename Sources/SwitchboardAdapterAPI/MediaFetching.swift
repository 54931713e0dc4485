import Foundation

/// How an adapter fetches the content of media a platform only names (a WhatsApp media id, a
/// Telegram `file_id`, a Twilio `MediaUrl`). The core never knows how: it keeps the message, marks
/// each attachment ``canFetch(_:)`` accepts as `fetching`, and a durable job calls ``fetch(_:)``
/// later, off the ingest path, retrying transient failures with backoff.
public protocol MediaFetcher: Sendable {
    /// The largest content kept, in bytes: anything larger is a permanent failure with the limit named.
    var maxMediaBytes: Int { get }
    /// Whether this attachment has content this adapter can fetch (an id or a URL it understands).
    func canFetch(_ attachment: Attachment) -> Bool
    /// Downloads the content. Throws ``MediaFetchFailure`` (transient ones are retried) or
    /// ``TransportError`` (retried). Must not return more than ``maxMediaBytes`` bytes knowingly;
    /// the core checks again.
    func fetch(_ attachment: Attachment) async throws -> FetchedMedia
}

/// The content of one attachment as the platform served it.
public struct FetchedMedia: Sendable, Equatable {
    public var content: Data
    /// The type the platform names (nil: keep the one the message said).
    public var mimeType: String?
    /// The file name the platform names (nil: keep the one the message said).
    public var fileName: String?

    public init(content: Data, mimeType: String? = nil, fileName: String? = nil) {
        self.content = content
        self.mimeType = mimeType
        self.fileName = fileName
    }
}

/// Why media could not be fetched: `permanent` ones (gone, forbidden, too large) are not retried
/// and the attachment shows `state: "failed"` with the reason.
public struct MediaFetchFailure: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var permanent: Bool

    public init(_ reason: String, permanent: Bool = false) {
        self.reason = reason
        self.permanent = permanent
    }

    public var description: String { reason }

    /// The usual reading of an HTTP answer: 408, 425, 429 and 5xx are worth retrying, other 4xx are not.
    public static func fromHTTP(_ response: HTTPResponse, context: String) -> MediaFetchFailure {
        let retryable = response.status == 408 || response.status == 425 || response.status == 429 || response.status >= 500
        let snippet = String(response.bodyText.prefix(200)).filter { !$0.isNewline }
        return MediaFetchFailure("\(context) answered HTTP \(response.status)\(snippet.isEmpty ? "" : ": \(snippet)")", permanent: !retryable)
    }
}

extension Attachment {
    /// The ``state`` of an attachment whose content a job is still fetching.
    public static let fetchingState = "fetching"
    /// The ``state`` of an attachment whose content could not be fetched (``notStoredReason`` says why).
    public static let failedState = "failed"

    /// Whether a fetch job is still to bring this attachment's content.
    public var isFetching: Bool { state == Self.fetchingState }

    /// This attachment waiting for its content: `stored: false, state: "fetching"`.
    public func markedFetching() -> Attachment {
        var copy = self
        copy.stored = false
        copy.state = Self.fetchingState
        return copy
    }

    /// This attachment with the fetched content, ready to be stored (the store keeps the bytes).
    public func fetched(_ media: FetchedMedia) -> Attachment {
        var copy = self
        copy.content = media.content
        copy.mimeType = media.mimeType ?? mimeType
        copy.fileName = fileName ?? media.fileName
        copy.state = nil
        copy.notStoredReason = nil
        return copy
    }

    /// This attachment after a permanent failure to fetch it.
    public func fetchFailed(_ reason: String) -> Attachment {
        var copy = self
        copy.content = nil
        copy.stored = false
        copy.state = Self.failedState
        copy.notStoredReason = reason
        return copy
    }
}

extension HTTPTransport {
    /// A `GET` for media content: transport problems become transient ``MediaFetchFailure``s and
    /// non-2xx answers are classified by ``MediaFetchFailure/fromHTTP(_:context:)``. `service` names
    /// the platform in the reason (never a URL with a secret in it); `redact` cuts a secret the URL
    /// holds out of what the transport says. Up to three redirects are followed (Twilio's media URLs
    /// answer with one to a signed storage URL); `headers` (credentials) go to the first origin only.
    public func fetchMedia(
        _ url: String, headers: [(name: String, value: String)] = [], service: String, limit: Int,
        redact: (String) -> String = { $0 }
    ) async throws -> HTTPResponse {
        var target = url
        var sending = headers
        for _ in 0...3 {
            let response: HTTPResponse
            do {
                response = try await send(HTTPRequest(method: "GET", url: target, headers: sending, timeout: .seconds(120)))
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let reason = redact((error as? TransportError)?.message ?? "\(error)")
                // The transport's own cap on an answer: trying again brings the same file.
                if reason.contains("too large") { throw MediaFetchFailure("larger than the gateway accepts: \(reason)", permanent: true) }
                throw MediaFetchFailure("could not reach \(service): \(reason)")
            }
            if [301, 302, 303, 307, 308].contains(response.status), let location = response.header("Location"),
                let next = URL(string: location, relativeTo: URL(string: target))?.absoluteString
            {
                if Self.origin(next) != Self.origin(target) { sending = [] }
                target = next
                continue
            }
            guard (200..<300).contains(response.status) else {
                let failure = MediaFetchFailure.fromHTTP(response, context: service)
                throw MediaFetchFailure(redact(failure.reason), permanent: failure.permanent)
            }
            if response.body.count > limit {
                throw MediaFetchFailure("larger than this adapter's limit of \(limit) bytes", permanent: true)
            }
            return response
        }
        throw MediaFetchFailure("\(service) redirected too many times", permanent: true)
    }

    /// `scheme://host:port` of a URL, lower-cased.
    private static func origin(_ url: String) -> String {
        guard let parts = URLComponents(string: url) else { return url }
        return "\(parts.scheme ?? "")://\(parts.host ?? ""):\(parts.port.map(String.init) ?? "")".lowercased()
    }
}
