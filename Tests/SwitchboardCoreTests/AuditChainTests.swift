import Foundation
import SwitchboardCore
import Testing

/// The audit chain's rules: the canonical hash, and what the verifier catches.
@Suite struct AuditChainTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000.123)

    /// Pins the canonical encoding (computed independently, see SECURITY.md's recipe): an auditor's
    /// own implementation must agree with these.
    @Test func hashesMatchTheDocumentedEncoding() {
        let first = AuditChain.seal(
            AuditEvent(.signIn, actor: "ana", subject: "agent:ana", source: "127.0.0.1", details: ["method": "password", "ñ": "ü"]),
            at: start, after: nil)
        #expect(first.hash == "5487d65b54df4d5efb5ce81abf2853639371c26da0b6d3e55af8cec1b841b34a")
        let second = AuditChain.seal(AuditEvent(.signInFailed, actor: nil), at: Date(timeIntervalSince1970: 1_800_000_060), after: first.head)
        #expect(second.previousHash == first.hash)
        #expect(second.hash == "917211e7bbee68330d834ec87688ddc2895634d888def39b941395d8407222f5")
    }

    func chain(_ count: Int) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for i in 0..<count {
            entries.append(
                AuditChain.seal(
                    AuditEvent(.signIn, actor: "ana", details: ["n": String(i)]), at: start.addingTimeInterval(Double(i)), after: entries.last?.head))
        }
        return entries
    }

    func verify(_ entries: [AuditEntry]) -> AuditBreak? {
        var verifier = AuditVerifier()
        for entry in entries {
            if let broken = verifier.check(entry) { return broken }
        }
        return verifier.finish()
    }

    @Test func anIntactChainVerifies() {
        #expect(verify(chain(5)) == nil)
        #expect(verify([]) == nil)
    }

    @Test func anEditedEntryIsNamed() {
        var entries = chain(5)
        entries[2].actor = "mallory"
        #expect(verify(entries)?.seq == 3)
        // Resealing the edited entry moves the break to the next one, which no longer links to it.
        entries[2].hash = AuditChain.hash(of: entries[2])
        #expect(verify(entries)?.seq == 4)
        #expect(verify(entries)?.reason.contains("does not link") == true)
    }

    @Test func aRemovedEntryIsNamed() {
        var entries = chain(5)
        entries.remove(at: 1)
        #expect(verify(entries)?.seq == 2)
    }

    @Test func removedFirstEntriesNeedAPruningRecord() {
        let entries = chain(5)
        #expect(verify(Array(entries.dropFirst(2)))?.seq == 3)
        #expect(verify(Array(entries.dropFirst(2)))?.reason.contains("entries 1–2 are missing") == true)
        // With the record a pruning appends, the same start verifies.
        var kept = Array(entries.dropFirst(2))
        kept.append(
            AuditChain.pruningRecord(
                AuditPruning(removed: 2, through: entries[1].head), before: start, at: start.addingTimeInterval(10), after: kept.last!.head))
        #expect(verify(kept) == nil)
        // A record naming another hash does not account for them.
        var forged = Array(entries.dropFirst(2))
        forged.append(
            AuditChain.pruningRecord(
                AuditPruning(removed: 2, through: AuditHead(seq: 2, hash: String(repeating: "1", count: 64))), before: start,
                at: start.addingTimeInterval(10), after: forged.last!.head))
        #expect(verify(forged)?.seq == 3)
    }

    @Test func tamperingInTheMemoryStoreIsFound() async throws {
        let store = MemoryStore()
        let trail = AuditTrail(store: store)
        for i in 0..<4 { try await trail.append(AuditEvent(.signIn, actor: "ana", details: ["n": String(i)])) }
        #expect(try await trail.verify().isIntact)
        store.tamperWithAudit(seq: 2) { $0.details["n"] = "9" }
        let result = try await trail.verify()
        #expect(result.broken?.seq == 2)
        #expect(result.checked == 1)
    }

    @Test func entriesRoundTripThroughJSON() throws {
        let entry = chain(1)[0]
        let decoded = try JSONCoding.decode(AuditEntry.self, from: JSONCoding.encode(entry))
        #expect(decoded == entry)
        #expect(AuditChain.hash(of: decoded) == entry.hash)
    }
}
