import Foundation
import SwitchboardTestSupport
import Synchronization

/// A real HTTP/1.1 server on a free loopback port, run by python3 so the transport is tested
/// against sockets and keep-alive behaviour it did not write itself.
final class TestServer: Sendable {
    let port: Int
    private let process: Process
    private let exit: ExitSignal

    /// Starts python and reads the port it bound. The blocking pipe read runs on a dispatch
    /// thread so parallel tests do not park the (small) cooperative pool.
    static func start() async throws -> TestServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", SupportProcess.supportDirectory.appendingPathComponent("transport_test_server.py").path]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardInput = Pipe()
        let exit = ExitSignal()
        process.terminationHandler = { _ in exit.fire() }
        try process.run()
        let reader = stdout.fileHandleForReading
        let line = await offThePool("test-server-start") {
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            return line
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw ServerError(message: "test server did not report a port")
        }
        return TestServer(port: port, process: process, exit: exit)
    }

    private init(port: Int, process: Process, exit: ExitSignal) {
        self.port = port
        self.process = process
        self.exit = exit
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// SIGKILL, not `terminate()`: children spawned from dispatch worker threads inherit their
    /// blocked SIGTERM. Waits through the termination handler, because `waitUntilExit` would
    /// park a cooperative thread.
    func stop() async {
        kill(process.processIdentifier, SIGKILL)
        await exit.wait()
    }

    /// Runs `body` against a fresh server and always stops it, even when the test fails.
    static func with<T>(_ body: (TestServer) async throws -> T) async throws -> T {
        let server = try await TestServer.start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

/// Lets an async test await the child's exit, whichever of exit and wait comes first.
private final class ExitSignal: Sendable {
    private let state = Mutex<(exited: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func fire() {
        state.withLock { state in
            state.exited = true
            return state.waiter.take()
        }?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let alreadyExited = state.withLock { state in
                if !state.exited { state.waiter = continuation }
                return state.exited
            }
            if alreadyExited { continuation.resume() }
        }
    }
}

struct ServerError: Error { var message: String }

/// A loopback port nobody listens on: bound, read back, then closed.
func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServerError(message: "socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
            bind(fd, sockaddr, length) == 0 && getsockname(fd, sockaddr, &length) == 0
        }
    }
    guard bound else { throw ServerError(message: "bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
