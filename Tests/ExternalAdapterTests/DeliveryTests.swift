import ExternalAdapter
import Foundation
import SwitchboardAdapterAPI
import Testing

/// `deliver` → `delivered` / `failed`, timeouts, and the process being down.
@Suite struct DeliveryTests {
    @Test func deliveredCarriesThePlatformID() async throws {
        let h = try Harness()
        #expect(await h.ready())
        let receipt = try await h.adapter.deliver(
            OutboundMessage(
                id: 42, conversationID: 7, to: "alice", threadRef: "chat-1", text: "Hello", inReplyTo: "m1"))
        #expect(receipt == DeliveryReceipt(externalID: "x-42", state: .delivered))
        await h.stop()
    }

    @Test func concurrentDeliveriesGetTheirOwnAnswers() async throws {
        let h = try Harness()
        #expect(await h.ready())
        let adapter = h.adapter
        let ids = try await withThrowingTaskGroup(of: String?.self) { group in
            for id in Int64(1)...20 {
                group.addTask { try await adapter.deliver(OutboundMessage(id: id, conversationID: 1, to: "a", text: "t\(id)")).externalID }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1 ?? "") }
        }
        #expect(ids == Set((1...20).map { "x-\($0)" }))
        await h.stop()
    }

    @Test func failuresKeepTheirKind() async throws {
        let h = try Harness()
        #expect(await h.ready())
        await #expect {
            _ = try await h.adapter.deliver(OutboundMessage(id: 1, conversationID: 1, to: "a", text: "reject"))
        } throws: { error in
            (error as? DeliveryFailure).map { $0.permanent && $0.reason == "no such user" } ?? false
        }
        await #expect {
            _ = try await h.adapter.deliver(OutboundMessage(id: 2, conversationID: 1, to: "a", text: "later"))
        } throws: { error in
            (error as? DeliveryFailure).map { !$0.permanent && $0.retryAfter == .seconds(7) } ?? false
        }
        await h.stop()
    }

    @Test func noAnswerInTimeIsTransient() async throws {
        let h = try Harness(deliverTimeout: .milliseconds(300))
        #expect(await h.ready())
        await #expect {
            _ = try await h.adapter.deliver(OutboundMessage(id: 3, conversationID: 1, to: "a", text: "hang"))
        } throws: { error in
            (error as? DeliveryFailure).map { !$0.permanent && $0.reason.contains("did not answer") } ?? false
        }
        // The process is still usable afterwards.
        #expect(try await h.adapter.deliver(OutboundMessage(id: 4, conversationID: 1, to: "a", text: "ok")).externalID == "x-4")
        await h.stop()
    }

    @Test func withoutAProcessDeliveryFailsTransientlyAtOnce() async throws {
        let adapter = ExternalAdapter(
            id: "idle", settings: ExternalSettings(command: ["true"], identityChannel: "idle"), logger: LogRecords().logger(adapter: "idle"))
        await #expect {
            _ = try await adapter.deliver(OutboundMessage(id: 1, conversationID: 1, to: "a", text: "hi"))
        } throws: { error in
            (error as? DeliveryFailure).map { !$0.permanent && $0.reason == "adapter process not running" } ?? false
        }
        #expect(adapter.state == .degraded("starting"))
    }
}
