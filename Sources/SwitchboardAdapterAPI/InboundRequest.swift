import Foundation

/// A request to `/hooks/{adapter}`, as the channel sent it. The body is raw so that signatures can
/// be checked over the exact bytes.
public struct InboundRequest: Sendable {
    public var method: String
    /// The path after the host, e.g. `/hooks/shop-chat`.
    public var path: String
    /// Decoded query parameters (the first value of each name).
    public var query: [String: String]
    /// The query string exactly as sent (without `?`), for signatures computed over the URL.
    public var rawQuery: String?
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var receivedAt: Date

    public init(
        method: String, path: String, query: [String: String] = [:], rawQuery: String? = nil,
        headers: [(name: String, value: String)] = [], body: [UInt8] = [], receivedAt: Date = Date()
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { equalsIgnoringASCIICase($0.name, name) }?.value
    }

    /// The media type of the body without parameters, lower-cased (`application/json`). Trimmed
    /// with this module's `trimmed`, not Foundation's `trimmingCharacters` (0.6 % of the gateway's
    /// CPU on e-mail, which asks twice per mail).
    public var mediaType: String? {
        header("Content-Type").map { value in
            String(value[..<(value.utf8.firstIndex(of: UInt8(ascii: ";")) ?? value.endIndex)]).trimmed.lowercased()
        }
    }
}

/// What an adapter made of a request.
public enum InboundResult: Sendable {
    /// Things to store; the gateway answers 2xx only after they are durable.
    case events([InboundEvent])
    /// A direct answer the platform expects (verification handshakes, challenges).
    case respond(status: Int, contentType: String, body: [UInt8])
}

/// Why an adapter refused a request. Each case has one HTTP status.
public enum InboundError: Error, Sendable, Equatable {
    /// Missing or wrong signature or token: 401.
    case unauthorized(String)
    /// The body is not what this channel sends: 400.
    case malformed(String)
    /// The method is not used by this channel: 405.
    case methodNotAllowed(String)
    /// A handshake that failed (wrong verify token): 403.
    case forbidden(String)
    /// Asked more often than the channel ever asks (a handshake hammered by a stranger): 429.
    case rateLimited(String)
    /// A body in a media type this channel does not take (a `text/plain` post to the mail hook,
    /// which a web page on another origin can send without a CORS preflight): 415.
    case unsupportedMediaType(String)

    public var status: Int {
        switch self {
        case .unauthorized: 401
        case .malformed: 400
        case .methodNotAllowed: 405
        case .forbidden: 403
        case .rateLimited: 429
        case .unsupportedMediaType: 415
        }
    }

    public var code: String {
        switch self {
        case .unauthorized: "bad_signature"
        case .malformed: "malformed"
        case .methodNotAllowed: "method_not_allowed"
        case .forbidden: "forbidden"
        case .rateLimited: "rate_limited"
        case .unsupportedMediaType: "unsupported_media_type"
        }
    }

    public var reason: String {
        switch self {
        case .unauthorized(let r), .malformed(let r), .methodNotAllowed(let r), .forbidden(let r), .rateLimited(let r),
            .unsupportedMediaType(let r):
            r
        }
    }
}

/// One record of a request an adapter left out while it kept the others: a malformed row of a
/// CDR batch, or a call between two internal extensions. Line numbers let the sender fix its file.
public struct SkippedRecord: Sendable, Equatable {
    /// The 1-based line of the request body where the record starts, for line-oriented bodies.
    public var line: Int?
    /// The 0-based position of the record in a JSON array, for JSON bodies.
    public var item: Int?
    /// Why it was left out, in words for the sender.
    public var reason: String
    /// True when the record is broken (the sender should fix it); false when it was understood
    /// and simply concerns no customer (an internal call, an intermediate call status).
    public var malformed: Bool
    /// A short stable code for the metrics (`internal_call`); nil: `malformed_record` or
    /// `skipped_record` by ``malformed``.
    public var code: String?

    public init(line: Int? = nil, item: Int? = nil, reason: String, malformed: Bool, code: String? = nil) {
        self.line = line
        self.item = item
        self.reason = reason
        self.malformed = malformed
        self.code = code
    }

    /// The code counted in `switchboard_inbound_ignored_total{reason}`.
    public var metricCode: String { code ?? (malformed ? "malformed_record" : "skipped_record") }
}

/// What an adapter made of a request that carries many independent records: the events of the
/// good ones and the records it left out.
public struct InboundBatch: Sendable {
    public var events: [InboundEvent]
    public var skipped: [SkippedRecord]

    public init(events: [InboundEvent], skipped: [SkippedRecord] = []) {
        self.events = events
        self.skipped = skipped
    }

    /// The records left out because they are broken.
    public var rejected: [SkippedRecord] { skipped.filter(\.malformed) }
}

/// An adapter whose requests carry many independent records (a CDR file's rows): one bad record
/// must not cost the good ones. A gateway that knows this protocol stores `events` and tells the
/// sender which records it left out (its 2xx body lists them); one that does not calls
/// ``ChannelAdapter/receive(_:)``, which keeps the good records all the same.
public protocol RecordBatchAdapter: ChannelAdapter {
    /// Verifies the request and decodes every record it can. Throws ``InboundError`` only for what
    /// concerns the whole request (signature, method, a body that is no batch at all).
    func receiveRecords(_ request: InboundRequest) async throws -> InboundBatch
}
