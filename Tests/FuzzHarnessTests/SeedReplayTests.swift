import Foundation
import SwitchboardFuzzHarness
import SwitchboardTestSupport
import Testing

/// Every fuzz target's seeds, replayed through its harness with the normal build: the inputs that
/// once crashed a decoder stay fixed, and a harness whose configuration, signing or wiring drifted
/// from the adapters it feeds (so that libFuzzer would mutate inputs the adapter refuses at the door)
/// fails here, not silently in a long `make fuzz` run.
@Suite struct SeedReplayTests {
    @Test(arguments: FuzzHarnesses.all.map { HarnessCase($0) })
    func seedsReachTheDecoders(_ harness: HarnessCase) async throws {
        let seeds = try FuzzSeeds.inputs(of: harness.type.target)
        #expect(!seeds.isEmpty, "no seeds for \(harness.type.target)")
        let outcomes = await onOwnThread {
            seeds.map { seed in (seed.name, harness.type.run(seed.bytes)) }
        }
        let taken = outcomes.filter { $0.1.contains(where: \.taken) }
        #expect(taken.count > 0, "no seed of \(harness.type.target) got past the adapters' checks: \(summary(outcomes))")
        // A refusal at the door (401, 403) means the harness no longer signs as the adapter checks.
        let unsigned = outcomes.filter { $0.1.contains { if case .refused(let status, _) = $0 { [401, 403].contains(status) } else { false } } }
        #expect(unsigned.count == 0, "\(harness.type.target) seeds refused as unsigned: \(summary(unsigned))")
    }

    /// The seeds that exist for each target, by the folders `Fuzz/run.sh` reads.
    @Test func everyTargetHasSeedsOfItsOwnOrFromTheCorpus() throws {
        for harness in FuzzHarnesses.all {
            #expect(try FuzzSeeds.inputs(of: harness.target).count >= 2, "\(harness.target)")
        }
    }

    private func summary(_ outcomes: [(String, [FuzzOutcome])]) -> String {
        outcomes.prefix(8).map { "\($0.0): \($0.1.map(\.description).joined(separator: ", "))" }.joined(separator: "; ")
    }
}

/// A harness as a test argument.
struct HarnessCase: Sendable, CustomTestStringConvertible {
    let target: String
    init(_ type: any FuzzHarness.Type) { target = type.target }
    var type: any FuzzHarness.Type { FuzzHarnesses.all.first { $0.target == target }! }
    var testDescription: String { target }
}

/// The harnesses block their thread until an input is decoded (as libFuzzer's callback must), so
/// they run on a thread of their own, never on the test's cooperative pool.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// The seed files of a target, read as `Fuzz/run.sh` gives them to libFuzzer: `Fuzz/Seeds/TARGET`,
/// `Tests/*/Fixtures/fuzz/TARGET` and the folders `Fuzz/seed-folders` names, with their subfolders.
enum FuzzSeeds {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func inputs(of target: String) throws -> [(name: String, bytes: [UInt8])] {
        var folders = [root.appendingPathComponent("Fuzz/Seeds/\(target)")]
        let tests = root.appendingPathComponent("Tests")
        for suite in try FileManager.default.contentsOfDirectory(atPath: tests.path).sorted() {
            folders.append(tests.appendingPathComponent("\(suite)/Fixtures/fuzz/\(target)"))
        }
        folders += try named(for: target)
        return folders.flatMap(files).map { url in
            (url.path.replacingOccurrences(of: root.path + "/", with: ""), Array((try? Data(contentsOf: url)) ?? Data()))
        }
    }

    /// `Fuzz/seed-folders`' line for `target`.
    private static func named(for target: String) throws -> [URL] {
        let text = try String(contentsOf: root.appendingPathComponent("Fuzz/seed-folders"), encoding: .utf8)
        let line = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.first { $0.first == target }
        return (line?.dropFirst() ?? []).map { folder in
            folder.hasPrefix("corpus/")
                ? Corpus.root.appendingPathComponent(String(folder.dropFirst("corpus/".count)))
                : root.appendingPathComponent(folder)
        }
    }

    private static func files(under folder: URL) -> [URL] {
        guard let walk = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walk.compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.path < $1.path }
    }
}
