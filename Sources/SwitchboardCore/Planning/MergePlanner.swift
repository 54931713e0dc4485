import Foundation

/// A customer as a merge finds them.
public struct MergeParty: Sendable, Equatable {
    public var customer: Int64
    public var name: String?
    /// Set when this customer was merged into another already.
    public var mergedInto: Int64?
    public var conversation: ConversationState?

    public init(customer: Int64, name: String?, mergedInto: Int64?, conversation: ConversationState?) {
        self.customer = customer
        self.name = name
        self.mergedInto = mergedInto
        self.conversation = conversation
    }
}

/// What a merge changes: both conversations afterwards and the lines each thread gets. The
/// engine moves the identities and messages and records the merge so it can be undone.
public struct MergePlan: Sendable {
    public var survivor: ConversationState
    public var absorbed: ConversationState
    /// The survivor's line, given how many messages moved.
    public var survivorEvent: @Sendable (_ moved: Int) -> String
    public var absorbedEvent: String
    public var author: String
}

/// A merge an engine can undo: the latest one into a customer not undone yet.
public struct RecordedMerge: Sendable, Equatable {
    public var id: Int64
    public var survivor: Int64
    public var absorbed: Int64
    public var survivorConversation: Int64
    public var absorbedConversation: Int64

    public init(id: Int64, survivor: Int64, absorbed: Int64, survivorConversation: Int64, absorbedConversation: Int64) {
        self.id = id
        self.survivor = survivor
        self.absorbed = absorbed
        self.survivorConversation = survivorConversation
        self.absorbedConversation = absorbedConversation
    }
}

/// The lines an undone merge leaves in both threads.
public struct UnmergePlan: Sendable, Equatable {
    public var survivorEvent: String
    public var absorbedEvent: String
    public var author: String
}

/// The rules of merging two customers into one and undoing it.
public enum MergePlanner {
    /// Folds `absorbed` into `survivor`: one thread, the earlier conversation's owner owns it (they
    /// knew the customer first), open if either was (else pending if either waited on the customer,
    /// else resolved), the nearer of each promise, escalated if either was.
    public static func merge(
        survivor: MergeParty?, absorbed: MergeParty?, survivorID: Int64, absorbedID: Int64, by agent: String, at now: Date,
        references: ConversationReferences
    ) throws -> MergePlan {
        guard survivorID != absorbedID else { throw ServiceError.badRequest("a customer cannot be merged into itself") }
        let s = try live(survivor, id: survivorID)
        let a = try live(absorbed, id: absorbedID)
        let (first, second) = s.createdAt <= a.createdAt ? (s, a) : (a, s)
        let owner = first.owner ?? second.owner
        let status: ConversationStatus =
            s.status == .open || a.status == .open ? .open : s.status == .pending || a.status == .pending ? .pending : .resolved
        let live = status != .resolved
        func earlier(_ x: Date?, _ y: Date?) -> Date? { [x, y].compactMap { $0 }.min() }
        // A pending side's resolution promise is kept as open time left; the merged thread keeps the
        // nearer promise either way (as open time left while pending, as a due time once open).
        let lefts = [s, a].filter { $0.status == .pending }.compactMap(\.resolutionLeft)
        let dues = [s, a].filter { $0.status == .open }.compactMap(\.resolutionDue) + lefts.map { now.addingTimeInterval($0) }
        var next = s
        next.status = status
        next.owner = owner
        next.assignee = live ? (first.assignee ?? second.assignee ?? owner) : nil
        next.resolutionDue = status == .open ? dues.min() : nil
        next.resolutionLeft = status == .pending ? lefts.min() : nil
        next.escalated = s.escalated || a.escalated
        // The more urgent side's priority (and its policy, whose clocks are the nearer ones kept below).
        if a.priority > s.priority {
            next.priority = a.priority
            next.slaPolicy = a.slaPolicy
            next.slaReason = a.slaReason
        }
        next.firstResponseDue = earlier(s.firstResponseDue, a.firstResponseDue)
        next.awaitingSince = earlier(s.awaitingSince, a.awaitingSince)
        next.slaWarnAt = earlier(s.slaWarnAt, a.slaWarnAt)
        next.callbackDue = earlier(s.callbackDue, a.callbackDue)
        next.lastMessageAt = max(s.lastMessageAt, a.lastMessageAt)
        if live { next.resolvedAt = nil }
        var gone = a
        gone.status = .merged
        gone.mergedInto = s.id
        gone.assignee = nil
        gone.firstResponseDue = nil
        gone.awaitingSince = nil
        gone.slaWarnAt = nil
        gone.callbackDue = nil
        let name = absorbed?.name
        let ownerText = owner.map { "; \($0) owns it (owner of the earlier conversation)" } ?? ""
        let absorbedReference = references.format(a.id)
        return MergePlan(
            survivor: next, absorbed: gone,
            survivorEvent: { moved in
                "\(agent) merged customer \(absorbedID)\(name.map { " (\($0))" } ?? "") into this customer: \(moved) messages of \(absorbedReference) joined this thread\(ownerText)"
            },
            absorbedEvent: "\(agent) merged this customer into customer \(survivorID); the thread continues in \(references.format(s.id))",
            author: agent)
    }

    /// Undoing the latest merge into `customer`; 409 when there is none left to undo.
    public static func unmerge(_ merge: RecordedMerge?, customer: Int64, by agent: String, references: ConversationReferences) throws -> UnmergePlan {
        guard let merge else {
            throw ServiceError(status: 409, code: "nothing_to_undo", message: "no merge into customer \(customer) is left to undo")
        }
        return UnmergePlan(
            survivorEvent:
                "\(agent) undid the merge of customer \(merge.absorbed): their messages are back in \(references.format(merge.absorbedConversation))",
            absorbedEvent: "\(agent) undid the merge into customer \(customer): this conversation is restored", author: agent)
    }

    private static func live(_ party: MergeParty?, id: Int64) throws -> ConversationState {
        guard let party else { throw ServiceError.notFound("customer \(id)") }
        if let into = party.mergedInto {
            throw ServiceError(status: 409, code: "already_merged", message: "customer \(id) was merged into customer \(into)")
        }
        guard let conversation = party.conversation else {
            throw ServiceError(status: 409, code: "no_conversation", message: "customer \(id) has no conversation")
        }
        return conversation
    }
}
