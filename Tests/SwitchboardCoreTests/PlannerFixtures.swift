import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore

/// The team the planner and service tests route to: Ana (whose deputy is Bea), Bea and Luis in
/// support, Marta their supervisor. Ids sort ana < bea < luis, which breaks ties between equal loads.
enum Staff {
    static let ana = Agent(id: "ana", name: "Ana Ruiz", teams: ["support"], capacity: 10, deputy: "bea")
    static let bea = Agent(id: "bea", name: "Bea Sanz", teams: ["support"], capacity: 10)
    static let luis = Agent(id: "luis", name: "Luis Gómez", teams: ["support"], capacity: 10)
    static let marta = Agent(id: "marta", name: "Marta Vidal", role: .supervisor, teams: ["support"])
    static let all = [ana, bea, luis, marta]
    static let directory = AgentDirectory(agents: all)
    /// One key for every test, so references a test formats match those the core wrote.
    static let key = GatewayKey(Array(repeating: 9, count: 32))
    static var references: ConversationReferences { key.references }
}

/// Inputs for the pure planners: a fixed moment, loads, policies, conversations as an engine reads them.
enum Plans {
    /// 2027-01-15T08:00:00Z, a Friday.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    /// The ids an engine gives the customer and conversation a plan creates.
    static let ids = PlanIDs(customer: 3, conversation: 7)

    /// Every configured agent available with these open loads, but those in `away`.
    static func loads(_ open: [String: Int] = [:], away: Set<String> = []) -> [String: AgentLoad] {
        Dictionary(
            uniqueKeysWithValues: Staff.all.map { agent in
                (
                    agent.id,
                    AgentLoad(
                        agentID: agent.id, status: away.contains(agent.id) ? .away : .available, openAssigned: open[agent.id] ?? 0,
                        lastAssignedSeq: 0)
                )
            })
    }

    static func policy(
        firstResponse: Duration = .seconds(3600), nextResponse: Duration? = nil, resolution: Duration? = nil,
        callbackWithin: Duration = .seconds(4 * 3600), hours: BusinessHours = .always, acknowledgement: AcknowledgementPolicy = .off,
        rules: RoutingRules = RoutingRules(), directory: AgentDirectory = Staff.directory
    ) -> IngestPolicy {
        let next: (@Sendable (String) -> Duration)? = nextResponse.map { value in { @Sendable _ in value } }
        return IngestPolicy(
            assignment: AssignmentPolicy(directory: directory, rules: rules), teamOfAdapter: { _ in "support" },
            firstResponse: { _ in firstResponse }, callbackWithin: { _ in callbackWithin }, acknowledgement: acknowledgement,
            nextResponse: next, resolution: { _ in resolution }, businessHours: hours,
            references: Staff.references)
    }

    static func message(
        _ id: String = "m1", from address: String = "ann@example.com", name: String? = nil, text: String = "hello",
        kind: InboundMessage.Kind = .contact, references: [String] = [], requestsCallback: Bool = false, noAutoReply: String? = nil
    ) -> InboundMessage {
        InboundMessage(
            externalID: id, from: ChannelIdentity(channel: "email", address: address), customerName: name, text: text, kind: kind,
            references: references, requestsCallback: requestsCallback, noAutoReply: noAutoReply)
    }

    /// The planner's decision for `message` arriving through `adapter` at `at`.
    static func plan(
        _ message: InboundMessage, _ snapshot: InboundSnapshot? = nil, loads: [String: AgentLoad] = loads(),
        policy: IngestPolicy = policy(), adapter: String = "mail", at: Date = now
    ) -> InboundPlan {
        let item = IngestItem(adapter: adapter, event: .message(message), receivedAt: at)
        return InboundPlanner.plan(item, message, snapshot ?? InboundSnapshot(identity: message.from), loads: loads, policy: policy)
    }

    /// The plan of a customer's message; throws when the planner decided a duplicate or filing instead.
    static func stored(
        _ message: InboundMessage, _ snapshot: InboundSnapshot? = nil, loads: [String: AgentLoad] = loads(),
        policy: IngestPolicy = policy(), adapter: String = "mail", at: Date = now
    ) throws -> InboundStorePlan {
        guard case .store(let plan) = plan(message, snapshot, loads: loads, policy: policy, adapter: adapter, at: at) else {
            throw UnexpectedOutcome("the planner did not store the message as a customer's")
        }
        return plan
    }

    /// A stored customer with the identity row 30.
    static func known(_ customer: Int64 = 3, name: String? = nil, lastContactAt: Date? = nil) -> KnownCustomer {
        KnownCustomer(id: customer, identity: 30, name: name, lastContactAt: lastContactAt)
    }

    static func conversation(
        _ id: Int64 = 7, customer: Int64 = 3, status: ConversationStatus = .open, owner: String? = "ana", assignee: String? = "ana",
        createdAt: Date = now.addingTimeInterval(-86_400)
    ) -> ConversationState {
        ConversationState(
            id: id, customerID: customer, status: status, owner: owner, assignee: assignee, team: "support", createdAt: createdAt,
            lastMessageAt: createdAt)
    }

    /// A snapshot of a message from a known customer with this conversation.
    static func returning(_ conversation: ConversationState, lastContactAt: Date? = nil, from address: String = "ann@example.com") -> InboundSnapshot
    {
        InboundSnapshot(
            identity: ChannelIdentity(channel: "email", address: address),
            customer: known(conversation.customerID, lastContactAt: lastContactAt), conversation: conversation)
    }
}

extension InboundStorePlan {
    /// The thread lines as the engine writes them with ``Plans/ids``.
    var texts: [String] { messages.map { $0.body.text(Plans.ids) } }

    /// The thread line recording the assignment, if any.
    var assignmentText: String? { assignmentEvent.map { messages[$0].body.text(Plans.ids) } }
}

/// A case the test did not expect, thrown so that the test stops there with the reason.
struct UnexpectedOutcome: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The refusal a call ended with (nil when it succeeded or failed otherwise).
func refusal(_ body: () throws -> Any?) -> ServiceError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? ServiceError
    }
}

func refused(_ body: () async throws -> Any?) async -> ServiceError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error as? ServiceError
    }
}
