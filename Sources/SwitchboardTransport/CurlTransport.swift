import Logging
import SwitchboardAdapterAPI

/// The production ``HTTPTransport``: libcurl's multi interface driven by one dedicated thread.
///
/// Awaiting a response suspends the caller instead of blocking a thread, so many slow
/// endpoints cannot starve the cooperative pool, and connections are kept alive per host.
/// Create one per process and share it; each instance owns a thread and a connection cache.
public final class CurlTransport: HTTPTransport {
    private let loop: Result<CurlMultiLoop, TransportError>
    private let userAgent: String

    /// - Parameters:
    ///   - maxConnectionsPerHost: Caps parallel connections to one host so a burst does not
    ///     look like an attack to the receiver; extra requests wait inside curl for a free one.
    ///   - userAgent: Sent unless a request sets its own `User-Agent` header.
    ///   - logger: Receives loop start/stop and unexpected curl failures, not per-request noise.
    public init(
        maxConnectionsPerHost: Int = 64,
        userAgent: String = "switchboard/0.1",
        logger: Logger = Logger(label: "switchboard.transport")
    ) {
        self.userAgent = userAgent
        do {
            loop = .success(try CurlMultiLoop(maxConnectionsPerHost: maxConnectionsPerHost, logger: logger))
        } catch {
            // Keeps the initializer non-throwing; every send reports why instead.
            logger.error("curl transport unavailable", metadata: ["error": "\(error.message)"])
            loop = .failure(error)
        }
    }

    deinit {
        shutdown()
    }

    /// Sends the request and returns whatever HTTP answer arrives, error statuses included.
    ///
    /// Throws ``TransportError`` when no answer arrives (DNS, connect, TLS, timeout, reset, or
    /// after ``shutdown()``), and `CancellationError` if the calling task is cancelled, in
    /// which case the transfer is aborted and its connection closed.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let loop = try self.loop.get()
        let transfer = HTTPTransfer(request: request, userAgent: userAgent)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.completion.install(continuation)
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    /// Stops the loop thread and fails every pending request with "transport shut down".
    /// Blocks briefly until curl has closed its connections; later sends fail immediately.
    public func shutdown() {
        if case .success(let loop) = loop { loop.shutdown() }
    }
}
