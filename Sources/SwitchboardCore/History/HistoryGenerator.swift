import Foundation

/// Made-up but realistic history for benchmarks and demos: customers who write on e-mail, chat and
/// SMS, threads of a few to a few dozen messages (customers, replies, notes, assignment events)
/// spread evenly over `days` up to `end`, most resolved, tagged now and then, owned by the
/// configured agents. Deterministic for a seed. Message ids grow with time, as in service.
public struct HistoryGenerator: Sendable {
    public var messages: Int
    public var customers: Int
    public var days: Int
    public var end: Date
    public var seed: UInt64
    /// Who owns conversations (agents, not supervisors) and their team.
    public var agents: [(id: String, team: String?)]
    /// The adapters customers write through: `(adapter, channel)`.
    public var adapters: [(id: String, channel: String)]
    /// Messages of the first customer's thread (0: a thread like the others), spread evenly over
    /// the history: a long thread to page through. It is the first customer and conversation written.
    public var longThread = 0
    /// An agent who owns and is assigned `busyOpen` open conversations, spread over the history (and
    /// no others): a heavy inbox. Nil: none.
    public var busyAgent: String?
    public var busyOpen = 0

    public init(
        messages: Int, customers: Int? = nil, days: Int = 365, end: Date = Date(), seed: UInt64 = 1,
        agents: [(id: String, team: String?)], adapters: [(id: String, channel: String)]
    ) {
        self.messages = messages
        self.customers = customers ?? max(1, messages / 8)
        self.days = days
        self.end = end
        self.seed = seed
        self.agents = agents
        self.adapters = adapters
    }

    /// Produces the history in batches of about `batchSize` messages, after the ids in `start`;
    /// returns where each thread ended, for ``HistoryLoader/finishHistory(_:)``.
    public func generate(
        after start: HistoryStart, batchSize: Int = 20_000, _ emit: (HistoryBatch) async throws -> Void
    ) async throws -> [HistoryActivity] {
        var random = SplitMix64(seed: seed)
        let span = Double(days) * 86_400
        let begin = end.timeIntervalSince1970 - span
        let newConversationChance = min(1, Double(customers) / Double(max(1, messages)))
        var threads: [Ongoing] = []
        threads.reserveCapacity(customers + 16)
        var recent: [Int] = []  // indexes of recently active threads (a ring)
        let ringSize = 4096
        var ringNext = 0
        var ids = start
        var batch = HistoryBatch()
        var producedInBatch = 0
        // Every `longEvery`-th message goes to the long thread; every `busyEvery`-th new thread to the
        // busy agent (a little more often than needed, so that the count is reached before the end).
        let longEvery = longThread > 0 ? max(1, messages / longThread) : 0
        var longWritten = 0
        let busyEvery = busyAgent != nil && busyOpen > 0 ? max(1, customers / (busyOpen + busyOpen / 20 + 1)) : 0
        var busy = 0

        for i in 0..<messages {
            let at = Date(timeIntervalSince1970: begin + span * (Double(i) + random.unit()) / Double(messages))
            var index: Int
            if longEvery > 0, i > 0, i % longEvery == 0, longWritten < longThread - 1 {
                index = 0
                longWritten += 1
            } else if threads.isEmpty || random.unit() < newConversationChance || (threads.count < customers && recent.isEmpty) {
                index = threads.count
                let forBusy = busyEvery > 0 && busy < busyOpen && index % busyEvery == busyEvery - 1
                if forBusy { busy += 1 }
                threads.append(newThread(&random, &ids, &batch, at: at, busy: forBusy))
                if recent.count < ringSize {
                    recent.append(index)
                } else {
                    recent[ringNext] = index
                    ringNext = (ringNext + 1) % ringSize
                }
            } else if random.unit() < 0.02 {
                index = random.below(threads.count)  // a customer coming back after a long time
            } else {
                index = recent[random.below(recent.count)]
            }
            ids.message += 1
            batch.messages.append(message(&random, &threads[index], id: ids.message, at: at))
            producedInBatch += 1
            if producedInBatch >= batchSize {
                try await emit(batch)
                batch = HistoryBatch()
                producedInBatch = 0
            }
        }
        if !batch.isEmpty { try await emit(batch) }
        return threads.map {
            HistoryActivity(conversation: $0.conversation, lastMessageAt: $0.lastAt, inbound: $0.inbound, firstInboundAt: $0.firstInboundAt)
        }
    }

    struct Ongoing {
        var conversation: Int64
        var customer: Int64
        var identity: Int64
        var adapter: String
        var channel: String
        var address: String
        var owner: String?
        var order: Int
        var product: String
        var city: String
        var count = 0
        var inbound = 0
        var lastAt: Date
        var firstInboundAt: Date?
    }

    private func newThread(
        _ random: inout SplitMix64, _ ids: inout HistoryStart, _ batch: inout HistoryBatch, at: Date, busy: Bool = false
    ) -> Ongoing {
        let first = random.pick(HistoryVocabulary.firstNames)
        let last = random.pick(HistoryVocabulary.lastNames)
        let (adapter, channel) = adapters[random.below(adapters.count)]
        ids.customer += 1
        ids.identity += 1
        ids.conversation += 1
        let address: String
        switch channel {
        case "email":
            address = "\(SearchText.fold(first)).\(SearchText.fold(last)).\(ids.customer)@\(random.pick(HistoryVocabulary.domains))"
                .replacingOccurrences(of: " ", with: "")
        // One number per customer (random ones collided from about 100,000 customers on): the id
        // scrambled by a prime that does not divide the range, so distinct ids give distinct numbers.
        case "phone": address = "+346\(10_000_000 + Int((ids.customer &* 7_919) % 89_999_999))"
        default: address = "\(channel)-\(ids.customer)"
        }
        var owner = agents.isEmpty ? nil : agents[random.below(agents.count)]
        let roll = random.unit()
        var status: ConversationStatus = roll < 0.84 ? .resolved : roll < 0.95 ? .open : .pending
        if let busyAgent, let drawn = owner {
            if busy {
                owner = (id: busyAgent, team: agents.first { $0.id == busyAgent }?.team ?? drawn.team)
                status = .open
            } else if drawn.id == busyAgent, let index = agents.firstIndex(where: { $0.id == busyAgent }), agents.count > 1 {
                // The busy agent has only those; their share goes to the others evenly.
                owner = agents[(index + 1 + random.below(agents.count - 1)) % agents.count]
            }
        }
        batch.customers.append(.init(id: ids.customer, name: "\(first) \(last)", createdAt: at))
        batch.identities.append(.init(id: ids.identity, customer: ids.customer, channel: channel, address: address, adapter: adapter, createdAt: at))
        batch.conversations.append(
            .init(
                id: ids.conversation, customer: ids.customer, status: status, owner: owner?.id, assignee: owner?.id, team: owner?.team,
                createdAt: at))
        if random.unit() < 0.3 {
            batch.tags.append(.init(conversation: ids.conversation, tag: random.pick(HistoryVocabulary.tags), at: at))
        }
        return Ongoing(
            conversation: ids.conversation, customer: ids.customer, identity: ids.identity, adapter: adapter, channel: channel,
            address: address, owner: owner?.id, order: random.below(900_000), product: random.pick(HistoryVocabulary.products),
            city: random.pick(HistoryVocabulary.cities), lastAt: at)
    }

    private func message(_ random: inout SplitMix64, _ thread: inout Ongoing, id: Int64, at: Date) -> HistoryBatch.Message {
        defer {
            thread.count += 1
            thread.lastAt = at
        }
        let roll = random.unit()
        let direction: MessageDirection =
            thread.count == 0 ? .inbound : roll < 0.5 ? .inbound : roll < 0.9 ? .outbound : roll < 0.97 ? .note : .event
        if direction == .inbound {
            thread.inbound += 1
            if thread.firstInboundAt == nil { thread.firstInboundAt = at }
        }
        // A customer sometimes asks about another order.
        if direction == .inbound, thread.count > 0, random.unit() < 0.15 { thread.order = random.below(900_000) }
        let body: String
        var metadata: String?
        switch direction {
        case .inbound:
            body = fill(random.pick(HistoryVocabulary.inbound), &random, thread)
            if thread.channel == "email" {
                let subject = fill(random.pick(HistoryVocabulary.subjects), &random, thread)
                metadata = "{\"subject\":\"\(subject)\"}"
            }
        case .outbound: body = fill(random.pick(HistoryVocabulary.outbound), &random, thread)
        case .note: body = fill(random.pick(HistoryVocabulary.notes), &random, thread)
        case .event: body = "switchboard assigned the conversation to \(thread.owner ?? "the team")"
        }
        let fromCustomer = direction == .inbound
        return HistoryBatch.Message(
            id: id, conversation: thread.conversation, direction: direction,
            adapter: fromCustomer || direction == .outbound ? thread.adapter : nil,
            channel: fromCustomer || direction == .outbound ? thread.channel : nil, address: fromCustomer ? thread.address : nil,
            externalID: fromCustomer ? "hist-\(id)" : nil, body: body,
            author: fromCustomer ? nil : (direction == .event ? "switchboard" : thread.owner),
            metadata: metadata, createdAt: at, delivered: direction == .outbound, identity: fromCustomer ? thread.identity : nil)
    }

    private func fill(_ template: String, _ random: inout SplitMix64, _ thread: Ongoing) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + 32)
        var iterator = template.makeIterator()
        while let c = iterator.next() {
            guard c == "{", let key = iterator.next(), iterator.next() == "}" else {
                out.append(c)
                continue
            }
            switch key {
            case "o": out += HistoryVocabulary.orderNumber(thread.order)
            case "p": out += thread.product
            case "c": out += thread.city
            case "k": out += HistoryVocabulary.carriers[thread.order % HistoryVocabulary.carriers.count]
            case "t": out += "TRK\(thread.order * 7 + 1_000_003)"
            case "n": out += "\(19 + random.below(480)),\(10 + random.below(89))"
            default: out.append(key)
            }
        }
        return out
    }
}

/// A small, fast, seedable generator (SplitMix64): history is the same for the same seed.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A number in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func pick<T>(_ list: [T]) -> T { list[below(list.count)] }
}
