import Foundation
import Logging
import SwitchboardCore
import Testing

/// Uploads nobody sent are pruned a day after they were made; younger ones stay.
@Suite struct UploadPrunerTests {
    @Test func uploadsOlderThanADayArePruned() async throws {
        let core = try await CoreOnMemory()
        let ana = Viewer(Staff.ana)
        let old = try await core.desk.upload(content: Data("old".utf8), fileName: "old.txt", mimeType: "text/plain", by: ana)
        core.clock.advance(20 * 3600)
        let young = try await core.desk.upload(content: Data("young".utf8), fileName: "young.txt", mimeType: "text/plain", by: ana)
        core.clock.advance(5 * 3600)
        let clock = core.clock
        let pruner = UploadPruner(store: core.store, now: { clock.now }, logger: Logger(label: "test"))
        #expect(try await pruner.tick() == 1)
        #expect(try await core.store.upload(old.id) == nil)
        #expect(try await core.store.upload(young.id)?.content == Data("young".utf8))
        #expect(try await pruner.tick() == 0)
    }
}
