import Foundation
import SwitchboardAdapterAPI
import SwitchboardTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real HTTP server on a free loopback port (python3's http.server) playing a PBX's originate
/// API: it records every request and answers `{"id": "pbx-call-N"}`, or the status in `/status/N`.
final class LocalPBX: Sendable {
    let port: Int
    private let process: Process
    private let log: URL

    private init(port: Int, process: Process, log: URL) {
        self.port = port
        self.process = process
        self.log = log
    }

    static func with<T>(_ body: (LocalPBX) async throws -> T) async throws -> T {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("pbx-\(UUID().uuidString).jsonl")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", SupportProcess.supportDirectory.appendingPathComponent("local_pbx.py").path, log.path]
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        let first = await offThePool("local-pbx") { output.fileHandleForReading.availableData }
        let line = String(decoding: first, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = Int(line) else {
            kill(process.processIdentifier, SIGKILL)
            throw TransportError("the local PBX did not start: \(line)")
        }
        let pbx = LocalPBX(port: port, process: process, log: log)
        let result: Result<T, any Error>
        do { result = .success(try await body(pbx)) } catch { result = .failure(error) }
        // SIGKILL: the test process may hand its children a blocked SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        try? input.fileHandleForWriting.close()
        await offThePool("local-pbx") { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: log)
        return try result.get()
    }

    /// Every request received so far: `{path, headers, body}`.
    func requests() throws -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: log.path) else { return [] }
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONValue.parse(Array($0)) }
    }
}

/// An ``HTTPTransport`` over Foundation's URLSession, so this test target needs no libcurl shim.
struct URLSessionTransport: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let url = URL(string: request.url) else { throw TransportError("bad URL \(request.url)") }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = Data(request.body)
        urlRequest.timeoutInterval = 10
        for header in request.headers { urlRequest.addValue(header.value, forHTTPHeaderField: header.name) }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: urlRequest)
        } catch {
            throw TransportError("\(error)")
        }
        guard let http = response as? HTTPURLResponse else { throw TransportError("not an HTTP answer") }
        let headers = http.allHeaderFields.compactMap { key, value in
            (key as? String).map { (name: $0, value: "\(value)") }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: Array(data))
    }
}
