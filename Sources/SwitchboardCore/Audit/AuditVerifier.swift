import Foundation

/// Where a chain stops being intact: the first entry that is not what the chain says it must be.
public struct AuditBreak: Sendable, Equatable, CustomStringConvertible {
    public var seq: Int64
    public var reason: String

    public init(seq: Int64, reason: String) {
        self.seq = seq
        self.reason = reason
    }

    public var description: String { "entry \(seq): \(reason)" }
}

/// Checks a chain read in order, one entry at a time, so a trail of any length verifies in
/// constant memory.
///
/// Besides each entry's hash and link it checks the chain's start: the first entry kept links to
/// 64 zeros, or — after old entries were pruned — a later `audit_pruned` entry names exactly the
/// last entry removed and its hash, so removing entries from the start is detected too. Removing
/// the newest entries is not something a hash chain can show by itself: compare the head with one
/// recorded elsewhere (`switchboard audit verify` prints it).
public struct AuditVerifier: Sendable {
    public private(set) var checked = 0
    public private(set) var first: Int64?
    public private(set) var head: AuditHead?
    /// The last entry removed by a pruning, as the first entry kept links to it.
    private var anchor: AuditHead?
    private var anchorRecorded = false

    public init() {}

    /// Checks the next entry; the break, if this is where the chain breaks.
    public mutating func check(_ entry: AuditEntry) -> AuditBreak? {
        if let head {
            guard entry.seq == head.seq + 1 else {
                return AuditBreak(seq: head.seq + 1, reason: "missing (the chain goes from entry \(head.seq) to entry \(entry.seq))")
            }
            guard entry.previousHash == head.hash else {
                return AuditBreak(seq: entry.seq, reason: "does not link to entry \(head.seq) (its prev_hash is not that entry's hash)")
            }
        } else {
            first = entry.seq
            if entry.seq == 1 {
                guard entry.previousHash == AuditChain.genesis else {
                    return AuditBreak(seq: 1, reason: "the first entry does not start the chain (its prev_hash is not 64 zeros)")
                }
            } else {
                anchor = AuditHead(seq: entry.seq - 1, hash: entry.previousHash)
            }
        }
        guard AuditChain.hash(of: entry) == entry.hash else {
            return AuditBreak(seq: entry.seq, reason: "its contents do not match its hash (the entry was changed)")
        }
        if entry.action == .auditPruned, let anchor, entry.details["through"] == String(anchor.seq),
            entry.details["through_hash"] == anchor.hash
        {
            anchorRecorded = true
        }
        head = entry.head
        checked += 1
        return nil
    }

    /// After the last entry: the break of a start no pruning accounts for, if any.
    public func finish() -> AuditBreak? {
        guard let anchor, !anchorRecorded, let first else { return nil }
        return AuditBreak(
            seq: first, reason: "entries 1–\(anchor.seq) are missing and no audit_pruned entry records their removal")
    }
}

/// What a verification of the whole trail found.
public struct AuditVerification: Sendable, Equatable {
    public var checked: Int
    public var first: Int64?
    public var head: AuditHead?
    /// Nil when the chain is intact.
    public var broken: AuditBreak?

    public init(checked: Int, first: Int64?, head: AuditHead?, broken: AuditBreak?) {
        self.checked = checked
        self.first = first
        self.head = head
        self.broken = broken
    }

    public var isIntact: Bool { broken == nil }
}
