import Foundation

/// An agent named in an internal note (`@luis`): they are told, and may read that conversation.
public struct Mention: Sendable, Codable, Equatable {
    public var id: Int64
    public var conversation: Int64
    /// The note that mentions them.
    public var message: Int64
    /// Who was mentioned.
    public var agent: String
    /// Who wrote the note.
    public var author: String
    public var createdAt: Date
    /// The note's text.
    public var note: String
    public var customer: CustomerRef
    /// The conversation's reference (filled by the desk).
    public var reference: String

    enum CodingKeys: String, CodingKey {
        case id, message, agent, author, note, customer, reference
        case conversation = "conversation_id"
        case createdAt = "created_at"
    }

    public init(
        id: Int64, conversation: Int64, message: Int64, agent: String, author: String, createdAt: Date, note: String, customer: CustomerRef,
        reference: String = ""
    ) {
        self.id = id
        self.conversation = conversation
        self.message = message
        self.agent = agent
        self.author = author
        self.createdAt = createdAt
        self.note = note
        self.customer = customer
        self.reference = reference
    }
}

/// A note to write and whom it mentions (see ``MentionPlanner``).
public struct NotePlan: Sendable {
    /// The note first, then the thread's record of the mention.
    public var conversation: ConversationPlan
    /// Agents mentioned (each gets a mention and may read the conversation).
    public var mentioned: [String]
    public var author: String

    public init(conversation: ConversationPlan, mentioned: [String], author: String) {
        self.conversation = conversation
        self.mentioned = mentioned
        self.author = author
    }
}

/// What writing a note did.
public struct NoteOutcome: Sendable, Equatable {
    public var applied: AppliedPlan
    public var mentions: [Mention]

    public init(applied: AppliedPlan, mentions: [Mention]) {
        self.applied = applied
        self.mentions = mentions
    }
}

/// A standing permission to read one conversation, given by a mention.
public struct ReadGrant: Sendable, Equatable, Hashable {
    public var conversation: Int64
    public var agent: String

    public init(conversation: Int64, agent: String) {
        self.conversation = conversation
        self.agent = agent
    }
}
