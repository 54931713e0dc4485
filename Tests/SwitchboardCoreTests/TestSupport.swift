import SwitchboardAdapterAPI

/// A transport that answers from a closure, for adapter unit tests that check request shapes.
struct ClosureTransport: HTTPTransport {
    let handler: @Sendable (HTTPRequest) async throws -> HTTPResponse
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { try await handler(request) }
}
