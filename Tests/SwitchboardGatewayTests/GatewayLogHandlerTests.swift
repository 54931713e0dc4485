import Logging
import Synchronization
import Testing

@testable import SwitchboardGateway

/// The gateway's log lines: what `StreamLogHandler` writes, without rendering a logger's metadata
/// each time a key is set (Hummingbird sets the request id on every request's logger).
@Suite struct GatewayLogHandlerTests {
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// Counts how often its text is asked for.
    final class Counted: CustomStringConvertible, Sendable {
        let asked = Atomic<Int>(0)
        var description: String {
            asked.add(1, ordering: .relaxed)
            return "req-7"
        }
    }

    @Test func setsMetadataWithoutRenderingItAndWritesStreamLogHandlersLine() {
        let ours = Lines()
        let theirs = Lines()
        let id = Counted()
        var logger = Logger(label: "switchboard") { GatewayLogHandler(label: $0, level: .info, stream: ours) }
        for _ in 0..<100 { logger[metadataKey: "hb.request.id"] = .stringConvertible(id) }
        logger[metadataKey: "adapter"] = "shop-chat"
        logger.debug("below the level")
        #expect(id.asked.load(ordering: .relaxed) == 0, "nothing is rendered until a line is written")
        #expect(ours.all.isEmpty)

        var reference = Logger(label: "switchboard") { StreamLogHandler(label: $0, stream: theirs) }
        reference[metadataKey: "hb.request.id"] = .stringConvertible(id)
        reference[metadataKey: "adapter"] = "shop-chat"
        logger.warning("slow flush", metadata: ["adapter": "mail", "took_ms": "120"])
        reference.warning("slow flush", metadata: ["adapter": "mail", "took_ms": "120"])
        logger.info("plain")
        reference.info("plain")
        // Timestamps may differ by a second: compare what follows them.
        let strip = { (line: String) in line.split(separator: " ", maxSplits: 1).last.map(String.init) ?? line }
        #expect(ours.all.map(strip) == theirs.all.map(strip))
        #expect(ours.all.first?.contains("adapter=mail hb.request.id=req-7 took_ms=120 [") == true, "the line's own value wins")
    }
}
