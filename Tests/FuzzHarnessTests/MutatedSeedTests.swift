import Foundation
import SwitchboardFuzzHarness
import Testing

/// A small, fixed slice of what libFuzzer does, on every `swift test`: each seed cut, flipped,
/// spliced and salted with its target's dictionary tokens, through the target's harness. The
/// mutations come from a generator seeded by the target's name, so every run feeds the same inputs
/// and a failure reproduces; a decoder that traps on one of them takes the test process down (that is
/// the failure). `make fuzz` searches far wider, guided by coverage and with AddressSanitizer.
///
/// To get the input that crashed: `SWITCHBOARD_FUZZ_LAST=/tmp/last swift test --filter MutatedSeedTests`
/// writes each input there before it runs; then `Fuzz/run.sh --reproduce TARGET /tmp/last-TARGET`.
@Suite struct MutatedSeedTests {
    /// Variants per seed: 64 × the 250-odd seeds is about 16,000 inputs, a few seconds unoptimized.
    static let variants = 64

    @Test(arguments: FuzzHarnesses.all.map { HarnessCase($0) })
    func mutatedSeedsAreRefusedWithAReasonNeverACrash(_ harness: HarnessCase) async throws {
        let target = harness.type.target
        let seeds = try FuzzSeeds.inputs(of: target).map(\.bytes)
        let mutator = Mutator(target: target, tokens: try FuzzSeeds.dictionary(of: target))
        let last = ProcessInfo.processInfo.environment["SWITCHBOARD_FUZZ_LAST"].map { "\($0)-\(target)" }
        let outcomes = await onOwnThread { () -> [FuzzOutcome] in
            var mutator = mutator
            var outcomes: [FuzzOutcome] = []
            for seed in seeds {
                for _ in 0..<Self.variants {
                    let input = mutator.mutate(seed)
                    if let last { _ = FileManager.default.createFile(atPath: last, contents: Data(input)) }
                    outcomes += harness.type.run(input)
                }
            }
            return outcomes
        }
        #expect(outcomes.count >= seeds.count * Self.variants)
        // Bad input gets the adapter's own refusal (a status and a reason, a delivery failure), never an
        // error the gateway can only answer with a 500.
        let unexplained = outcomes.filter { if case .failed = $0 { true } else { false } }
        #expect(unexplained.count == 0, "\(target): \(unexplained.prefix(5).map(\.description))")
    }

    @Test func theMutationsAreTheSameEveryRun() {
        var first = Mutator(target: "FuzzX", tokens: [Array("token".utf8)])
        var second = Mutator(target: "FuzzX", tokens: [Array("token".utf8)])
        let seed = Array("{\"direct_message_events\":[]}".utf8)
        let a = (0..<50).map { _ in first.mutate(seed) }
        #expect(a == (0..<50).map { _ in second.mutate(seed) })
        #expect(Set(a).count > 40, "the variants differ from one another")
    }
}

/// libFuzzer's simplest mutations, from a SplitMix64 generator.
struct Mutator: Sendable {
    private var state: UInt64
    private let tokens: [[UInt8]]

    init(target: String, tokens: [[UInt8]]) {
        // FNV-1a of the name: stable across runs and builds (Hasher is seeded per process).
        state = target.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        self.tokens = tokens.isEmpty ? [[0]] : tokens
    }

    mutating func mutate(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0...below(3) {
            switch below(6) {
            case 0: bytes = Array(bytes.prefix(below(bytes.count + 1)))  // cut short
            case 1 where !bytes.isEmpty: bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: next())  // one byte
            case 2: bytes.insert(contentsOf: token(), at: below(bytes.count + 1))  // a token
            case 3 where !bytes.isEmpty:  // a range gone
                let start = below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(64)))
            case 4 where !bytes.isEmpty:  // a range repeated elsewhere
                let start = below(bytes.count)
                let piece = Array(bytes[start..<min(bytes.count, start + 1 + below(256))])
                bytes.insert(contentsOf: piece, at: below(bytes.count + 1))
            case 5 where !bytes.isEmpty:  // a range replaced by a token
                let start = below(bytes.count)
                bytes.replaceSubrange(start..<min(bytes.count, start + 1 + below(16)), with: token())
            default: bytes.append(contentsOf: token())
            }
        }
        return bytes
    }

    private mutating func token() -> [UInt8] { tokens[below(tokens.count)] }

    private mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }

    private mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension FuzzSeeds {
    /// The tokens of `Fuzz/Dictionaries/TARGET.dict` (libFuzzer's format: `"…"` or `name="…"`, with
    /// `\\`, `\"` and `\xNN` escapes).
    static func dictionary(of target: String) throws -> [[UInt8]] {
        let url = root.appendingPathComponent("Fuzz/Dictionaries/\(target).dict")
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { line -> [UInt8]? in
            guard !line.hasPrefix("#"), let open = line.firstIndex(of: "\""), line.last == "\"", open < line.index(before: line.endIndex)
            else { return nil }
            let quoted = Array(line[line.index(after: open)..<line.index(before: line.endIndex)].utf8)
            var token: [UInt8] = []
            var index = 0
            while index < quoted.count {
                if quoted[index] == UInt8(ascii: "\\"), index + 1 < quoted.count {
                    if quoted[index + 1] == UInt8(ascii: "x"), index + 3 < quoted.count,
                        let byte = UInt8(String(decoding: quoted[(index + 2)...(index + 3)], as: UTF8.self), radix: 16)
                    {
                        token.append(byte)
                        index += 4
                        continue
                    }
                    token.append(quoted[index + 1])
                    index += 2
                    continue
                }
                token.append(quoted[index])
                index += 1
            }
            return token
        }
    }
}
