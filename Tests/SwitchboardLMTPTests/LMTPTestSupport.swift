import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardTestSupport
import Synchronization

@testable import SwitchboardLMTP

#if canImport(Glibc)
import Glibc
#endif

/// A mail adapter as small as the protocol allows: mail whose first line is `From: ADDRESS` is
/// stored under that address (the envelope sender otherwise); anything else can never be stored.
struct TestMailAdapter: MailDeliveryAdapter {
    var id = "mail"
    var maxMessageBytes = 4000
    var capabilities: AdapterCapabilities { AdapterCapabilities() }
    var lmtp: LMTPEndpoint? { LMTPEndpoint(listen: .inet(host: "127.0.0.1", port: 0), maxMessageBytes: maxMessageBytes) }

    func accepts(recipient address: String) -> Bool {
        let lower = address.lowercased()
        return lower.hasSuffix("@example.com") && lower.hasPrefix("support")
    }

    func receive(_ delivery: MailDelivery) async throws(InboundError) -> [InboundEvent] {
        let text = String(decoding: delivery.message, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.hasPrefix("From:") else { throw .malformed("not an e-mail message") }
        let from = first.dropFirst(5).trimmingCharacters(in: .whitespaces)
        let id = lines.first { $0.hasPrefix("Message-ID:") }.map { String($0.dropFirst(11)).trimmingCharacters(in: .whitespaces) }
        return [
            .message(
                InboundMessage(
                    externalID: id ?? UUID().uuidString,
                    from: ChannelIdentity(channel: "email", address: from.isEmpty ? (delivery.envelope.sender ?? "unknown@example.com") : from),
                    text: text, metadata: ["envelope_to": delivery.envelope.recipients.joined(separator: ",")]))
        ]
    }

    func receive(_ request: InboundRequest) async throws -> InboundResult {
        throw InboundError.methodNotAllowed("LMTP only")
    }

    func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        throw DeliveryFailure("this test adapter sends nothing", permanent: true)
    }
}

/// The memory store, with its storage switched off on demand (as a database that went away).
final class SwitchableStore: InboundStore {
    let store = MemoryStore()
    let down = Atomic<Bool>(false)

    func ingest(_ items: [IngestItem], policy: IngestPolicy) async throws -> [IngestOutcome] {
        if down.load(ordering: .relaxed) { throw StoreError.unavailable("the test switched storage off") }
        return try await store.ingest(items, policy: policy)
    }
}

/// An LMTP server on a free loopback port in front of a real pipeline on the memory store.
struct LMTPHarness {
    let store = SwitchableStore()
    let server: LMTPServer
    let committer: GroupCommitter
    let port: Int

    static func with(
        _ adapters: [TestMailAdapter] = [TestMailAdapter()], limits: LMTPLimits = LMTPLimits(), maxConnections: Int? = nil,
        _ body: (LMTPHarness) async throws -> Void
    ) async throws {
        let agents = [Agent(id: "ana", name: "Ana", role: .agent, teams: ["support"], capacity: 25)]
        let harness = try await LMTPHarness(adapters: adapters, agents: agents, limits: limits, maxConnections: maxConnections)
        let group = ServiceGroup(services: [harness.committer, harness.server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body(harness)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private init(adapters: [TestMailAdapter], agents: [Agent], limits: LMTPLimits, maxConnections: Int?) async throws {
        try await store.store.prepare(agents: agents)
        let logger = Logger(label: "test")
        let registry = AdapterRegistry(adapters.map { RegisteredAdapter(adapter: $0, team: "support") })
        let policy = IngestPolicy(
            assignment: AssignmentPolicy(directory: AgentDirectory(agents: agents)), teamOfAdapter: { _ in "support" },
            firstResponse: { _ in .seconds(3600) })
        committer = GroupCommitter(store: store, policy: policy, logger: logger)
        let pipeline = InboundPipeline(adapters: registry, committer: committer, logger: logger)
        var listeners = try LMTPListener.plan(adapters, maxBodyBytes: 1 << 20)
        if let maxConnections { listeners[0].maxConnections = maxConnections }
        server = LMTPServer(listeners: listeners, pipeline: pipeline, limits: limits, logger: logger, hostname: "lmtp.test")
        try await server.bind()
        port = server.boundAddresses[0].port!
    }

    func connect() throws -> LineClient { try LineClient(port: port) }
}

/// A blocking client on a real socket: what it writes goes out as given (pipelined or not), and
/// it reads reply lines with a deadline.
final class LineClient: @unchecked Sendable {
    private let socket: Int32
    private var pending: [UInt8] = []

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw ClientError("connect failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(socket) }

    func send(_ text: String) {
        var bytes = Array(text.utf8)
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            bytes.removeFirst(sent)
        }
    }

    /// The next line without CRLF; nil when the server closed the connection (or 10 s passed).
    private func line() -> String? {
        while true {
            if let end = pending.firstIndex(of: 0x0A) {
                var line = Array(pending[..<end])
                pending.removeFirst(end + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            pending += chunk[..<count]
        }
    }

    /// The next reply: its lines until one with a space after the code (read on ``reader``).
    func reply() async -> [String] {
        await offThePool("line-client") {
            var lines: [String] = []
            while let line = self.line() {
                lines.append(line)
                if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-" { break }
            }
            return lines
        }
    }

    /// The code of the next reply (0 when the connection closed).
    func code() async -> Int { await reply().last.flatMap { Int($0.prefix(3)) } ?? 0 }

    /// The codes of the next `count` replies.
    func codes(_ count: Int) async -> [Int] {
        var codes: [Int] = []
        for _ in 0..<count { codes.append(await code()) }
        return codes
    }

    /// Whether the server closed the connection (read on a thread of its own, as ``reply()``).
    func closed() async -> Bool {
        await offThePool("line-client") { self.line() == nil }
    }

    /// Connects and says LHLO.
    static func greeted(port: Int) async throws -> LineClient {
        let client = try LineClient(port: port)
        guard await client.code() == 220 else { throw ClientError("no greeting") }
        client.send("LHLO mx.test\r\n")
        guard await client.reply().last?.hasPrefix("250 ") == true else { throw ClientError("LHLO refused") }
        return client
    }
}

struct ClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
