import Foundation
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import SwitchboardTransport
import Testing

@Suite("CurlTransport against a real loopback server")
struct CurlTransportTests {
    @Test(.integration) func postWithBodyAndHeadersRoundTrips() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let body = Array(#"{"text":"héllo"}"#.utf8)
            let response = try await transport.send(
                HTTPRequest(
                    method: "POST", url: server.url("/echo"),
                    headers: [("Content-Type", "application/json"), ("X-Signature", "abc123")],
                    body: body
                ))
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            let echo = try JSONDecoder().decode(Echo.self, from: Data(response.body))
            #expect(echo.method == "POST")
            #expect(echo.body == #"{"text":"héllo"}"#)
            #expect(echo.headers["x-signature"] == "abc123")
            #expect(echo.headers["content-type"] == "application/json")
            #expect(echo.headers["content-length"] == "\(body.count)")
            #expect(echo.headers["user-agent"] == "switchboard/0.1")
            #expect(echo.headers["expect"] == nil)
        }
    }

    @Test(.integration, arguments: ["GET", "PUT", "PATCH", "DELETE"])
    func otherMethodsArriveAsSent(method: String) async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let body: [UInt8] = method == "GET" ? [] : Array("payload".utf8)
            let response = try await transport.send(HTTPRequest(method: method, url: server.url("/echo"), body: body))
            let echo = try JSONDecoder().decode(Echo.self, from: Data(response.body))
            #expect(echo.method == method)
            #expect(echo.body == String(decoding: body, as: UTF8.self))
            // No invented form content type for bodies the caller did not label.
            #expect(echo.headers["content-type"] == nil)
        }
    }

    @Test(.integration) func serverErrorIsAResponseNotAThrow() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let response = try await transport.send(HTTPRequest(method: "GET", url: server.url("/status/500")))
            #expect(response.status == 500)
            #expect(response.bodyText == "status body")
        }
    }

    @Test(.integration) func interimHeaderBlocksAreDropped() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let response = try await transport.send(HTTPRequest(method: "GET", url: server.url("/early-hints")))
            #expect(response.status == 200)
            #expect(response.header("X-Final") == "yes")
            #expect(response.header("X-Interim") == nil)
            #expect(response.bodyText == "final")
        }
    }

    @Test(.integration) func connectionsAreReused() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            var clientPorts: Set<Int> = []
            for _ in 0..<3 {
                let response = try await transport.send(HTTPRequest(method: "GET", url: server.url("/echo")))
                clientPorts.insert(try JSONDecoder().decode(Echo.self, from: Data(response.body)).clientPort)
            }
            #expect(clientPorts.count == 1)
        }
    }

    @Test func connectionRefusedThrowsReadableError() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let port = try unusedPort()
        let error = await #expect(throws: TransportError.self) {
            _ = try await transport.send(HTTPRequest(url: "http://127.0.0.1:\(port)/hook"))
        }
        #expect(error?.message.hasPrefix("connection refused: ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("127.0.0.1") == true)
        #expect(error?.message.contains("\(port)") == true)
    }

    @Test(.integration) func timeoutThrows() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.send(
                    HTTPRequest(
                        method: "GET", url: server.url("/slow?ms=10000"), timeout: .milliseconds(100)))
            }
            #expect(error?.message.hasPrefix("timed out: ") == true, "\(error?.message ?? "")")
            // Far below the server's 10 s: the timeout, not the server, ended the request.
            #expect(clock.now - start < .seconds(5))
        }
    }

    @Test(.integration) func slowRequestsRunConcurrently() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let url = server.url("/slow?ms=400")
            let clock = ContinuousClock()
            let start = clock.now
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await transport.send(HTTPRequest(method: "GET", url: url)).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let elapsed = clock.now - start
            #expect(statuses.count == 50)
            #expect(statuses.allSatisfy { $0 == 200 })
            // One after another would take 20 s; concurrently well under half of that even on a busy machine.
            #expect(elapsed < .seconds(8), "50 × 400 ms took \(elapsed)")
        }
    }

    @Test(.integration) func cancellationAbortsTheRequest() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let url = server.url("/slow?ms=10000")
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await transport.send(HTTPRequest(method: "GET", url: url)) }
            try await Task.sleep(for: .milliseconds(150))
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(clock.now - start < .seconds(5))
            // The loop keeps serving after a transfer was torn out of it.
            let after = try await transport.send(HTTPRequest(method: "GET", url: server.url("/status/204")))
            #expect(after.status == 204)
        }
    }

    @Test func alreadyCancelledTaskNeverSends() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await transport.send(HTTPRequest(url: "http://127.0.0.1:1/never"))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test(.integration) func shutdownFailsPendingAndLaterRequests() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            let url = server.url("/slow?ms=10000")
            let pending = Task { try await transport.send(HTTPRequest(method: "GET", url: url)) }
            try await Task.sleep(for: .milliseconds(150))
            transport.shutdown()
            let pendingError = await #expect(throws: TransportError.self) { try await pending.value }
            #expect(pendingError?.message == "transport shut down")
            let laterError = await #expect(throws: TransportError.self) {
                _ = try await transport.send(HTTPRequest(method: "GET", url: server.url("/echo")))
            }
            #expect(laterError?.message == "transport shut down")
        }
    }

    @Test(.integration) func headerInjectionIsRejected() async throws {
        try await TestServer.with { server in
            let transport = CurlTransport()
            defer { transport.shutdown() }
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.send(
                    HTTPRequest(
                        url: server.url("/echo"), headers: [("X-Evil", "a\r\nX-Injected: 1")]))
            }
            #expect(error?.message.hasPrefix("invalid request header") == true, "\(error?.message ?? "")")
        }
    }
}

private struct Echo: Decodable {
    var method: String
    var headers: [String: String]
    var body: String
    var clientPort: Int
}
