import Foundation
import SwitchboardAdapterAPI

/// What an engine read for one inbound message, inside the group's transaction (so it includes
/// what earlier messages of the same group wrote): all the planner may need to decide.
public struct InboundSnapshot: Sendable {
    /// The customer's address as the core compares it (case-folded e-mail, E.164 phone).
    public var identity: ChannelIdentity
    /// The same (adapter, external id) was stored before.
    public var duplicate: StoredMessageRef?
    /// The earlier message this one answers, when its references name one we stored.
    public var answered: AnsweredMessage?
    /// The conversation of ``answered``, read for automated mail filed into it.
    public var answeredConversation: ConversationState?
    /// The customer the identity belongs to.
    public var customer: KnownCustomer?
    /// That customer's conversation.
    public var conversation: ConversationState?
    /// A live conversation whose reference the message quotes (read when it answers nothing).
    public var quoted: QuotedConversation?
    /// Another customer's conversation the message answers or quotes (``participantCandidate``),
    /// read only when the author is one of its recorded participants: the message may join it.
    public var participantOf: ConversationState?

    public init(
        identity: ChannelIdentity, duplicate: StoredMessageRef? = nil, answered: AnsweredMessage? = nil,
        answeredConversation: ConversationState? = nil, customer: KnownCustomer? = nil, conversation: ConversationState? = nil,
        quoted: QuotedConversation? = nil, participantOf: ConversationState? = nil
    ) {
        self.participantOf = participantOf
        self.identity = identity
        self.duplicate = duplicate
        self.answered = answered
        self.answeredConversation = answeredConversation
        self.customer = customer
        self.conversation = conversation
        self.quoted = quoted
    }

    /// Whether an engine should look for a quoted reference: a fresh message of a customer reaching
    /// out, when it can matter: an unknown sender's may suggest a merge; a known one's may be a
    /// participant's joining a conversation, which only mail (a subject, or people it names) can be
    /// (so a returning chat customer's message costs no search).
    public static func needsQuotedReference(_ message: InboundMessage, customer: KnownCustomer?, answered: AnsweredMessage?) -> Bool {
        guard answered == nil, message.kind == .contact else { return false }
        return customer == nil || message.metadata["subject"] != nil || message.metadata[InboundMessage.participantsKey] != nil
    }

    /// The conversation (and its customer) the author may have written into as one of its
    /// participants: another customer's conversation that the message answers (a reply to any of
    /// its messages, ours or the customer's: the participants received them) or whose reference
    /// it quotes. An engine then reads ``participantOf`` only if the author is recorded as a
    /// participant of it (``ConversationParticipant``).
    public static func participantCandidate(_ message: InboundMessage, _ snapshot: InboundSnapshot) -> (conversation: Int64, customer: Int64)? {
        guard message.kind == .contact else { return nil }
        let own = snapshot.customer?.id
        if let answered = snapshot.answered { return answered.customer == own ? nil : (answered.conversation, answered.customer) }
        if let quoted = snapshot.quoted, quoted.customer != own { return (quoted.conversation, quoted.customer) }
        return nil
    }

    /// The conversation `plan` writes, as this snapshot read it (engines write only what changed).
    public func conversationRead(for plan: InboundPlan) -> ConversationState? {
        if case .store(let stored) = plan, let joined = participantOf, stored.conversation.id == joined.id { return joined }
        return conversation
    }

    /// Whether an engine should read the answered message's conversation.
    public static func needsAnsweredConversation(_ message: InboundMessage, answered: AnsweredMessage?) -> Bool {
        message.kind == .automated && answered?.ours == true
    }
}

/// A stored message found by its (adapter, external id).
public struct StoredMessageRef: Sendable, Equatable {
    public var message: Int64
    public var conversation: Int64

    public init(message: Int64, conversation: Int64) {
        self.message = message
        self.conversation = conversation
    }
}

/// A customer found by one of their identities.
public struct KnownCustomer: Sendable, Equatable {
    public var id: Int64
    /// The identity's row.
    public var identity: Int64
    public var name: String?
    /// The customer's latest contact before this message.
    public var lastContactAt: Date?

    public init(id: Int64, identity: Int64, name: String?, lastContactAt: Date?) {
        self.id = id
        self.identity = identity
        self.name = name
        self.lastContactAt = lastContactAt
    }
}

/// A live (not merged) conversation a message quotes the reference of.
public struct QuotedConversation: Sendable, Equatable {
    public var conversation: Int64
    public var customer: Int64

    public init(conversation: Int64, customer: Int64) {
        self.conversation = conversation
        self.customer = customer
    }
}
