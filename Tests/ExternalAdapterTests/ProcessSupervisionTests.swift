import ExternalAdapter
import Foundation
import SwitchboardAdapterAPI
import Testing

/// The process's life: start, hello, inbound stored and acked, stderr and `log` in the gateway's
/// log, exit and shutdown.
@Suite struct ProcessSupervisionTests {
    @Test func storesInboundOnceAndAcksAfterStoring() async throws {
        let h = try Harness(config: ["greeting": "hola", "burst": "3"])
        defer { Task { await h.stop() } }
        #expect(await h.ready())
        #expect(await eventually { h.acks.count >= 3 })
        // m0 was sent twice in one burst: stored once, and acked (a duplicate is acked too, so the
        // process can forget it); the status report is stored too.
        #expect(h.sink.messages.map(\.externalID) == ["m0", "m1", "m2"])
        #expect(Set(h.acks) == ["m0", "m1", "m2"])
        #expect(h.sink.statuses.map(\.externalID) == ["x-1"])
        let first = try #require(h.sink.messages.first)
        #expect(first.from == ChannelIdentity(channel: "fake", address: "alice"))
        #expect(first.customerName == "Alice")
        #expect(first.threadRef == "chat-1")
        #expect(first.sentAt == Date(timeIntervalSince1970: 1_719_209_506))
        #expect(first.attachments == [Attachment(kind: "image", mimeType: "image/png", url: "https://x.test/i.png")])
    }

    @Test func helloSetsCapabilitiesAndState() async throws {
        let h = try Harness()
        #expect(h.adapter.state != .running)
        #expect(await h.ready())
        let caps = h.adapter.capabilities
        #expect(caps.replyWindow == .seconds(24 * 3600))
        #expect(caps.maxTextLength == 500)
        #expect(caps.ratePerSecond == 5)
        await h.stop()
    }

    @Test func stderrAndLogLinesReachTheGatewayLog() async throws {
        let h = try Harness(id: "fake-chat", config: ["greeting": "hola"])
        #expect(await h.ready())
        #expect(await eventually { h.logs.all.contains { $0.message == "greeting hola" } })
        let logs = h.logs.all
        let stderr = try #require(logs.first { $0.message == "started fake-chat protocol 1" })
        #expect(stderr.metadata["adapter"] == "fake-chat")
        #expect(stderr.metadata["stream"] == "stderr")
        #expect(logs.first { $0.message == "greeting hola" }?.level == .warning)
        // A line that is not JSON is reported without its content; an unknown type is skipped.
        #expect(logs.contains { $0.message.contains("ignored a line") && $0.metadata["reason"] == "not JSON (16 bytes)" })
        await h.stop()
    }

    @Test func exitEndsTheRunAndFailsWaitingDeliveriesTransiently() async throws {
        let h = try Harness()
        #expect(await h.ready())
        let pid = try #require(h.adapter.processID)
        await #expect {
            _ = try await h.adapter.deliver(OutboundMessage(id: 5, conversationID: 1, to: "alice", text: "crash"))
        } throws: { error in
            (error as? DeliveryFailure).map { !$0.permanent && $0.reason.contains("exited with status 3") } ?? false
        }
        await #expect {
            try await h.run.value
        } throws: { error in
            (error as? AdapterProcessExited)?.status == .exited(3)
        }
        #expect(h.adapter.state == .degraded("restarting: exited with status 3"))
        #expect(h.adapter.processID == nil)
        #expect(!processIsAlive(pid))
        // Down: replies fail transiently at once, so the outbox keeps them for after the restart.
        await #expect {
            _ = try await h.adapter.deliver(OutboundMessage(id: 6, conversationID: 1, to: "alice", text: "hi"))
        } throws: { error in
            (error as? DeliveryFailure).map { !$0.permanent && $0.reason == "adapter process not running" } ?? false
        }
    }

    @Test func aRestartedRunWorksAgain() async throws {
        let h = try Harness()
        #expect(await h.ready())
        _ = try? await h.adapter.deliver(OutboundMessage(id: 5, conversationID: 1, to: "alice", text: "crash"))
        _ = try? await h.run.value
        // What the gateway's runner does after its backoff:
        let sink = h.sink
        let again = Task { try await h.adapter.run(sink: sink) }
        #expect(await eventually { h.adapter.state == .running })
        let receipt = try await h.adapter.deliver(OutboundMessage(id: 8, conversationID: 1, to: "alice", text: "hi"))
        #expect(receipt.externalID == "x-8")
        again.cancel()
        _ = try? await again.value
    }

    @Test func shutdownStopsTheProcessAndReturns() async throws {
        let h = try Harness()
        #expect(await h.ready())
        let pid = try #require(h.adapter.processID)
        let started = ContinuousClock.now
        h.run.cancel()
        try await h.run.value  // returns without an error: a shutdown is not a failure
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(!processIsAlive(pid))
    }

    @Test func aStorageFailureStopsTheProcessSoItResendsLater() async throws {
        let h = try Harness(config: ["burst": "2"], command: nil)
        h.sink.failing.store(true, ordering: .relaxed)
        await #expect(throws: RecordingSink.Down.self) { try await h.run.value }
        #expect(h.acks.isEmpty)
        #expect(h.adapter.processID == nil)
    }

    @Test func aMissingProgramIsReportedInTheState() async throws {
        let h = try Harness(command: ["no-such-adapter-program"])
        await #expect(throws: LaunchError.self) { try await h.run.value }
        guard case .degraded(let why) = h.adapter.state else {
            Issue.record("state should be degraded")
            return
        }
        #expect(why.hasPrefix("restarting: cannot start no-such-adapter-program: not found in PATH"))
    }
}
