import Foundation
import Synchronization

/// A real HTTP/1.1 server on a free loopback port, run by python3 so the transport is tested
/// against sockets and keep-alive behaviour it did not write itself.
final class TestServer: Sendable {
    let port: Int
    private let process: Process
    private let exit: ExitSignal

    private static let script = #"""
import http.server, json, os, sys, threading, time, urllib.parse

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        url = urllib.parse.urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/echo":
            payload = {
                "method": self.command,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "clientPort": self.client_address[1],
            }
            self.reply(200, json.dumps(payload).encode(), "application/json")
        elif url.path.startswith("/status/"):
            self.reply(int(url.path.split("/")[2]), b"status body")
        elif url.path == "/slow":
            ms = int(urllib.parse.parse_qs(url.query).get("ms", ["0"])[0])
            time.sleep(ms / 1000)
            self.reply(200, b"slow done")
        elif url.path == "/early-hints":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\nX-Interim: yes\r\n\r\n")
            self.send_response(200)
            self.send_header("X-Final", "yes")
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"final")
        else:
            self.reply(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 would drop SYNs under 50 parallel connects

# Exit when the test process goes away (stdin closes), even if it never got to kill us.
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

    /// Starts python and reads the port it bound. The blocking pipe read runs on a dispatch
    /// thread so parallel tests do not park the (small) cooperative pool.
    static func start() async throws -> TestServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardInput = Pipe()
        let exit = ExitSignal()
        process.terminationHandler = { _ in exit.fire() }
        try process.run()
        let reader = stdout.fileHandleForReading
        let line = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var line = Data()
                while !line.contains(UInt8(ascii: "\n")) {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    line.append(chunk)
                }
                continuation.resume(returning: line)
            }
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
