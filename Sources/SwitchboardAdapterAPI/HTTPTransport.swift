import Foundation

/// An outbound HTTP request made by an adapter (a platform's send API, a webhook receiver, …).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The whole exchange, connect included, must finish within this time.
    public var timeout: Duration

    public init(
        method: String = "POST", url: String, headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], timeout: Duration = .seconds(30)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// The answer to an ``HTTPRequest``, whatever its status code.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { equalsIgnoringASCIICase($0.name, name) }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// The request never got an HTTP answer: DNS, connect, TLS, timeout, reset.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Sends HTTP requests without blocking the caller's executor. The gateway provides one
/// (libcurl's multi interface); tests may provide their own.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// Header names are ASCII and case-insensitive; this avoids Foundation's locale-aware comparison on
/// a hot path.
public func equalsIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
    var x = a.utf8.makeIterator()
    var y = b.utf8.makeIterator()
    while true {
        switch (x.next(), y.next()) {
        case (nil, nil): return true
        case (let p?, let q?):
            if p == q { continue }
            let lp = p | 0x20
            let lq = q | 0x20
            guard lp == lq, lp >= UInt8(ascii: "a"), lp <= UInt8(ascii: "z") else { return false }
        default: return false
        }
    }
}

extension HTTPTransport {
    /// Sends a reply's request. When no answer arrives (DNS, connect, TLS, timeout) the reply is
    /// worth retrying: a transient ``DeliveryFailure`` naming `service`, passed through `redact`
    /// first when the URL holds a secret. Cancellation passes through unchanged.
    public func sendForDelivery(
        _ request: HTTPRequest, reaching service: String, redact: (String) -> String = { $0 }
    ) async throws -> HTTPResponse {
        do {
            return try await send(request)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let reason = (error as? TransportError)?.message ?? "\(error)"
            throw DeliveryFailure("could not reach \(service): \(redact(reason))")
        }
    }
}
