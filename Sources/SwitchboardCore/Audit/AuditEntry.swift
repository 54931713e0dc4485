import Crypto
import Foundation
import SwitchboardAdapterAPI

/// What happened, as the audit trail names it: a short, stable code (`sign_in`, `customer_erased`).
public struct AuditAction: Sendable, Hashable, Codable, CustomStringConvertible {
    public let code: String

    public init(_ code: String) { self.code = code }

    public var description: String { code }

    public init(from decoder: any Decoder) throws { code = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }

    // Sign-in and credentials
    public static let signIn = AuditAction("sign_in")
    public static let signInFailed = AuditAction("sign_in_failed")
    /// An identity the single sign-on provider vouched for maps to no configured agent.
    public static let signInRefused = AuditAction("sign_in_refused")
    public static let signOut = AuditAction("sign_out")
    public static let signedOutEverywhere = AuditAction("signed_out_everywhere")
    public static let passwordChanged = AuditAction("password_changed")
    public static let secondFactorEnrolled = AuditAction("second_factor_enrolled")
    public static let secondFactorRemoved = AuditAction("second_factor_removed")
    public static let recoveryCodeUsed = AuditAction("recovery_code_used")
    // Customers' data
    public static let customerExported = AuditAction("customer_exported")
    public static let customerErased = AuditAction("customer_erased")
    public static let customersMerged = AuditAction("customers_merged")
    public static let customersUnmerged = AuditAction("customers_unmerged")
    public static let retentionApplied = AuditAction("retention_applied")
    // Work
    public static let conversationReassigned = AuditAction("conversation_reassigned")
    public static let conversationEscalated = AuditAction("conversation_escalated")
    public static let escalationClosed = AuditAction("escalation_closed")
    public static let agentStatusChanged = AuditAction("agent_status_changed")
    public static let reportExported = AuditAction("report_exported")
    // The gateway and the trail itself
    public static let gatewayStarted = AuditAction("gateway_started")
    public static let auditPruned = AuditAction("audit_pruned")
}

/// Who did it, when none of the configured agents did: the gateway's own work, or an operator's
/// command line tool.
public enum AuditActor {
    public static let system = "system"
    public static let `operator` = "operator"
}

/// Something to record, before it is sealed into the chain.
public struct AuditEvent: Sendable, Equatable {
    public var action: AuditAction
    /// The agent id, ``AuditActor/system`` or ``AuditActor/operator``; nil when unknown (a failed
    /// sign-in under an id that is not an agent's).
    public var actor: String?
    /// What it was done to: `customer:12`, `conversation:5`, `agent:ana`.
    public var subject: String?
    /// The client's address (sign-ins).
    public var source: String?
    /// Anything else worth keeping, never personal data of customers.
    public var details: [String: String]

    public init(_ action: AuditAction, actor: String?, subject: String? = nil, source: String? = nil, details: [String: String] = [:]) {
        self.action = action
        self.actor = actor
        self.subject = subject
        self.source = source
        self.details = details
    }
}

/// The newest entry of the chain: what the next one links to.
public struct AuditHead: Sendable, Equatable {
    public var seq: Int64
    public var hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }
}

/// One entry of the append-only audit trail. Each carries the hash of the previous one, and its
/// own hash covers its fields and that link (see ``AuditChain``), so editing, inserting or removing
/// an entry anywhere but at the very end breaks the chain at that point.
public struct AuditEntry: Sendable, Equatable {
    /// Position in the chain: 1, 2, 3 … without gaps.
    public var seq: Int64
    /// When, to the millisecond (the hash covers milliseconds since 1970).
    public var at: Date
    public var actor: String?
    public var action: AuditAction
    public var subject: String?
    public var source: String?
    public var details: [String: String]
    /// The hash of entry `seq - 1` (64 zeros for the first entry).
    public var previousHash: String
    public var hash: String

    public init(
        seq: Int64, at: Date, actor: String?, action: AuditAction, subject: String?, source: String?, details: [String: String],
        previousHash: String, hash: String
    ) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.source = source
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }

    /// Milliseconds since 1970: what the hash covers and what the stores keep.
    public var atMilliseconds: Int64 { AuditChain.milliseconds(at) }

    /// The head this entry makes.
    public var head: AuditHead { AuditHead(seq: seq, hash: hash) }
}

extension AuditEntry: Codable {
    enum CodingKeys: String, CodingKey {
        case seq, at, actor, action, subject, source, details, hash
        case atMilliseconds = "at_ms"
        case previousHash = "prev_hash"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int64.self, forKey: .seq)
        at = Date(timeIntervalSince1970: Double(try c.decode(Int64.self, forKey: .atMilliseconds)) / 1000)
        actor = try c.decodeIfPresent(String.self, forKey: .actor)
        action = try c.decode(AuditAction.self, forKey: .action)
        subject = try c.decodeIfPresent(String.self, forKey: .subject)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        details = try c.decodeIfPresent([String: String].self, forKey: .details) ?? [:]
        previousHash = try c.decode(String.self, forKey: .previousHash)
        hash = try c.decode(String.self, forKey: .hash)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(AuditChain.timestamp(at), forKey: .at)
        try c.encode(atMilliseconds, forKey: .atMilliseconds)
        try c.encodeIfPresent(actor, forKey: .actor)
        try c.encode(action, forKey: .action)
        try c.encodeIfPresent(subject, forKey: .subject)
        try c.encodeIfPresent(source, forKey: .source)
        try c.encode(details, forKey: .details)
        try c.encode(previousHash, forKey: .previousHash)
        try c.encode(hash, forKey: .hash)
    }
}

/// Which entries a listing asks for, newest first.
public struct AuditQuery: Sendable, Equatable {
    public var since: Date?
    public var actor: String?
    public var action: String?
    /// Only entries before this position (the previous page's last `seq`).
    public var before: Int64?
    public var limit: Int

    public init(since: Date? = nil, actor: String? = nil, action: String? = nil, before: Int64? = nil, limit: Int = 100) {
        self.since = since
        self.actor = actor
        self.action = action
        self.before = before
        self.limit = limit
    }
}

/// What a pruning of old entries removed, for the entry that records it.
public struct AuditPruning: Sendable, Equatable {
    /// How many entries went.
    public var removed: Int
    /// The last entry removed: the first one kept links to its hash.
    public var through: AuditHead

    public init(removed: Int, through: AuditHead) {
        self.removed = removed
        self.through = through
    }
}

/// The chain's rules: how an entry is sealed and what its hash covers.
///
/// The hash is SHA-256, in lower-case hex, over a canonical encoding: the line
/// `switchboard-audit-1\n`, then each field as a netstring (`<length in UTF-8 bytes>:<bytes>,`;
/// an absent value is `-,`) in this order: seq, milliseconds since 1970, actor, action, subject,
/// source, the number of details, each detail's key and value sorted by key, and the previous
/// entry's hash. Anyone can recompute it from `switchboard audit export`.
public enum AuditChain {
    /// What the first entry links to.
    public static let genesis = String(repeating: "0", count: 64)
    static let preamble = "switchboard-audit-1\n"

    /// The entry `event` becomes at `at`, linked to `head` (nil: the chain is empty).
    public static func seal(_ event: AuditEvent, at: Date, after head: AuditHead?) -> AuditEntry {
        var entry = AuditEntry(
            seq: (head?.seq ?? 0) + 1, at: Date(timeIntervalSince1970: Double(milliseconds(at)) / 1000), actor: event.actor,
            action: event.action, subject: event.subject, source: event.source, details: event.details,
            previousHash: head?.hash ?? genesis, hash: "")
        entry.hash = hash(of: entry)
        return entry
    }

    /// The hash `entry` must carry, computed from its fields and its link.
    public static func hash(of entry: AuditEntry) -> String {
        var bytes = Array(preamble.utf8)
        func field(_ value: String?) {
            guard let value else {
                bytes += Array("-,".utf8)
                return
            }
            let utf8 = Array(value.utf8)
            bytes += Array("\(utf8.count):".utf8) + utf8 + [UInt8(ascii: ",")]
        }
        field(String(entry.seq))
        field(String(entry.atMilliseconds))
        field(entry.actor)
        field(entry.action.code)
        field(entry.subject)
        field(entry.source)
        field(String(entry.details.count))
        // Sorted by the keys' UTF-8 bytes, so every implementation agrees whatever its collation.
        for key in entry.details.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            field(key)
            field(entry.details[key])
        }
        field(entry.previousHash)
        return Signatures.hex(SHA256.hash(data: bytes))
    }

    /// The entry that records a pruning, linked to `head`.
    public static func pruningRecord(_ pruning: AuditPruning, before: Date, at: Date, after head: AuditHead) -> AuditEntry {
        seal(
            AuditEvent(
                .auditPruned, actor: AuditActor.system,
                details: [
                    "removed": String(pruning.removed), "through": String(pruning.through.seq), "through_hash": pruning.through.hash,
                    "older_than": timestamp(before),
                ]), at: at, after: head)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// ISO 8601 with milliseconds, UTC.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
