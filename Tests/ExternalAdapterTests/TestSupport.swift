import ExternalAdapter
import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

/// Records what the adapter stores, idempotent on the external id like the real store; can be
/// told to fail (storage down).
final class RecordingSink: InboundSink {
    private let events = Mutex<[InboundEvent]>([])
    let failing = Atomic<Bool>(false)

    struct Down: Error {}

    func store(_ batch: [InboundEvent], adapter: String) async throws -> [IngestAcknowledgement] {
        if failing.load(ordering: .relaxed) { throw Down() }
        return events.withLock { stored in
            batch.map { event in
                if case .message(let m) = event {
                    if stored.contains(where: { if case .message(let s) = $0 { s.externalID == m.externalID } else { false } }) {
                        return .duplicate(messageID: 1)
                    }
                }
                stored.append(event)
                return .stored(messageID: 1)
            }
        }
    }

    var messages: [InboundMessage] {
        events.withLock { $0 }.compactMap { if case .message(let m) = $0 { m } else { nil } }
    }

    var statuses: [DeliveryStatusUpdate] {
        events.withLock { $0 }.compactMap { if case .deliveryStatus(let s) = $0 { s } else { nil } }
    }
}

/// Keeps every log record, to check what reaches the gateway's log.
final class LogRecords: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    func append(_ record: Record) { records.withLock { $0.append(record) } }
    var all: [Record] { records.withLock { $0 } }

    func logger(adapter: String) -> Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(records: self) }
        logger[metadataKey: "adapter"] = "\(adapter)"
        return logger
    }
}

struct CapturingHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        records.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
func eventually(_ seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// A running fake adapter process with the handles the tests need.
struct Harness {
    let adapter: ExternalAdapter
    let sink = RecordingSink()
    let logs: LogRecords
    let ackFile: String
    let run: Task<Void, any Error>

    init(
        id: String = "ext", config: [String: String] = [:], deliverTimeout: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(5), command: [String]? = nil
    ) throws {
        let (script, ackFile) = try FakeAdapterProcess.install()
        let logs = LogRecords()
        let settings = ExternalSettings(
            command: command ?? ["python3", "-u", script],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "ACK_FILE": ackFile],
            processConfig: .object(config.mapValues(JSONValue.string)), identityChannel: "fake",
            deliverTimeout: deliverTimeout, requestTimeout: requestTimeout, stopTimeout: .milliseconds(500))
        let adapter = ExternalAdapter(id: id, settings: settings, logger: logs.logger(adapter: id))
        let sink = self.sink
        self.adapter = adapter
        self.logs = logs
        self.ackFile = ackFile
        self.run = Task { try await adapter.run(sink: sink) }
    }

    var acks: [String] {
        ((try? String(contentsOfFile: ackFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Generous: starting a process (an interpreter) on a loaded CI machine can take many seconds.
    func ready() async -> Bool {
        await eventually(60) { adapter.state == .running }
    }

    /// Cancels the run (a gateway shutdown) and waits for it to end.
    func stop() async {
        run.cancel()
        _ = try? await run.value
    }
}

func processIsAlive(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0
}
