import Foundation
import Logging
import ServiceLifecycle
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

@Suite struct GroupCommitterTests {
    @Test func concurrentSubmissionsShareCommitsAndEachGetsItsOwnOutcome() async throws {
        let t = try await TempStore()
        defer { t.cleanup() }
        let committer = GroupCommitter(store: t.store, policy: TestAgents.policy, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [committer], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let results = try await withThrowingTaskGroup(of: (Int, [IngestOutcome]).self) { submits in
                for i in 0..<200 {
                    submits.addTask { (i, try await committer.submit([inbound("m\(i)", from: "c\(i % 20)@x")])) }
                }
                return try await submits.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(results.count == 200)
            #expect(results.values.allSatisfy { $0.count == 1 && $0[0].kind == .stored })
            let resent = try await committer.submit([inbound("m7", from: "c7@x")])
            #expect(resent[0].kind == .duplicate)
            #expect(resent[0].messageID == results[7]?[0].messageID)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let all = try await t.store.conversations(ConversationQuery(viewer: Viewer(TestAgents.marta), limit: 1000))
        #expect(all.count == 20)
    }
}
