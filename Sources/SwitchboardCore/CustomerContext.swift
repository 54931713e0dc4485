import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

/// Customer data from context providers, fetched off the ingestion path and cached per customer.
///
/// A view waits for a fetch at most the provider's timeout; a slow provider is reported as
/// `timeout` (its last answer, if any, is still shown as `stale`) and never fails the request.
/// Fetches are deduplicated per (customer, provider) and capped in number, so a hanging
/// provider costs a bounded number of waiting tasks, not ingestion throughput.
public actor CustomerContext {
    private struct Entry {
        var value: JSONValue?
        var fetchedAt: Date?
        var failure: ContextStatus?
    }

    private let providers: [any ContextProvider]
    private let maxInFlight: Int
    private let maxCustomers: Int
    private let logger: Logger
    private var cache: [Int64: [String: Entry]] = [:]
    private var inFlight: [String: Task<Void, Never>] = [:]
    /// Providers that just failed: prefetching (the ingestion side) leaves them alone until then,
    /// so a dead provider costs nothing per new customer. Views still ask, bounded by the timeout.
    private var restingUntil: [String: Date] = [:]
    /// The data cached per customer, readable without waiting for the actor: ingestion chooses SLA
    /// policies by it inside its transaction, where nothing may wait.
    private let readable = Mutex<[Int64: [String: JSONValue]]>([:])

    public init(providers: [any ContextProvider], maxInFlight: Int = 64, maxCustomers: Int = 50_000, logger: Logger) {
        self.providers = providers
        self.maxInFlight = maxInFlight
        self.maxCustomers = maxCustomers
        self.logger = logger
    }

    public nonisolated var isEmpty: Bool { providers.isEmpty }

    /// What is cached for this customer now (possibly expired; nothing is fetched): the data last
    /// shown to agents.
    public nonisolated func cached(_ customer: Int64) -> [String: JSONValue] {
        readable.withLock { $0[customer] ?? [:] }
    }

    /// Drops what is cached for these customers (their identities changed: a link or a merge).
    public func forget(_ customers: [Int64]) {
        for customer in customers { cache[customer] = nil }
        readable.withLock { for customer in customers { $0[customer] = nil } }
    }

    /// Whether a prefetch could start anything now; checked before the caller reads the customer.
    public func wantsPrefetch() -> Bool {
        let now = Date()
        return inFlight.count < maxInFlight && providers.contains { restingUntil[$0.id].map { now >= $0 } ?? true }
    }

    /// Starts fetching what is missing or expired for this customer, without waiting.
    public func prefetch(_ keys: CustomerKeys) {
        let now = Date()
        for provider in providers where needsFetch(keys.customerID, provider) && (restingUntil[provider.id].map { now >= $0 } ?? true) {
            _ = start(provider, keys)
        }
    }

    /// The data and status of every provider for this customer, fetching (bounded by each
    /// provider's timeout) what is missing or expired.
    public func view(_ keys: CustomerKeys) async -> (context: [String: JSONValue], status: [String: ContextStatus]) {
        var waits: [(String, Task<Void, Never>, Duration)] = []
        for provider in providers where needsFetch(keys.customerID, provider) {
            if let task = start(provider, keys) { waits.append((provider.id, task, provider.timeout)) }
        }
        for (id, task, timeout) in waits {
            let finished = await Self.wait(for: task, upTo: timeout)
            if !finished, cache[keys.customerID]?[id]?.failure == nil {
                var entry = cache[keys.customerID]?[id] ?? Entry()
                entry.failure = ContextStatus(state: .timeout, message: "no answer within \(timeout)")
                cache[keys.customerID, default: [:]][id] = entry
            }
        }
        var context: [String: JSONValue] = [:]
        var status: [String: ContextStatus] = [:]
        for provider in providers {
            let entry = cache[keys.customerID]?[provider.id]
            if let value = entry?.value { context[provider.id] = value }
            if let failure = entry?.failure {
                status[provider.id] = ContextStatus(
                    state: entry?.value == nil ? failure.state : .stale,
                    message: (failure.message ?? failure.state.rawValue)
                        + (entry?.value != nil ? " (\(failure.state.rawValue)); showing the previous answer" : ""),
                    fetchedAt: entry?.fetchedAt)
            } else if let fetchedAt = entry?.fetchedAt {
                status[provider.id] = ContextStatus(state: .ok, fetchedAt: fetchedAt)
            } else {
                status[provider.id] = ContextStatus(state: .pending, message: "being fetched")
            }
        }
        return (context, status)
    }

    private func needsFetch(_ customer: Int64, _ provider: any ContextProvider) -> Bool {
        guard inFlight[key(customer, provider)] == nil else { return true }
        guard let entry = cache[customer]?[provider.id] else { return true }
        if entry.failure != nil { return true }
        guard let fetchedAt = entry.fetchedAt else { return true }
        return Date().timeIntervalSince(fetchedAt) >= provider.cacheFor.seconds
    }

    private func key(_ customer: Int64, _ provider: any ContextProvider) -> String { "\(customer)/\(provider.id)" }

    /// The running fetch for this pair, or a new one; nil when too many are running.
    private func start(_ provider: any ContextProvider, _ keys: CustomerKeys) -> Task<Void, Never>? {
        let k = key(keys.customerID, provider)
        if let running = inFlight[k] { return running }
        guard inFlight.count < maxInFlight else {
            logger.debug("context fetch skipped: too many in flight", metadata: ["provider": "\(provider.id)"])
            return nil
        }
        let task = Task {
            let result: Result<JSONValue, any Error>
            do { result = .success(try await provider.fetch(keys)) } catch { result = .failure(error) }
            self.finish(k, provider: provider.id, customer: keys.customerID, result)
        }
        inFlight[k] = task
        return task
    }

    private func finish(_ key: String, provider: String, customer: Int64, _ result: Result<JSONValue, any Error>) {
        inFlight[key] = nil
        if cache[customer] == nil, cache.count >= maxCustomers, let victim = cache.keys.first {
            cache[victim] = nil
            _ = readable.withLock { $0.removeValue(forKey: victim) }
        }
        var entry = cache[customer]?[provider] ?? Entry()
        switch result {
        case .success(let value):
            entry = Entry(value: value, fetchedAt: Date(), failure: nil)
            restingUntil[provider] = nil
        case .failure(let error):
            let text = (error as? ContextFetchError)?.reason ?? "\(error)"
            let state: ContextStatus.State = text.contains("timed out") || text.contains("timeout") ? .timeout : .error
            entry.failure = ContextStatus(state: state, message: text)
            // Once per outage at notice level; every failure at debug.
            let level: Logger.Level = restingUntil[provider] == nil ? .notice : .debug
            restingUntil[provider] = Date().addingTimeInterval(30)
            logger.log(level: level, "context provider failed", metadata: ["provider": "\(provider)", "reason": "\(text)"])
        }
        cache[customer, default: [:]][provider] = entry
        let values = (cache[customer] ?? [:]).compactMapValues(\.value)
        readable.withLock { $0[customer] = values }
    }

    /// True when the task finished within `limit`. Returns at the deadline even if the fetch
    /// hangs on (a task group would wait for it).
    private static func wait(for task: Task<Void, Never>, upTo limit: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let pending = Mutex<CheckedContinuation<Bool, Never>?>(continuation)
            let resume: @Sendable (Bool) -> Void = { value in pending.withLock { $0.take() }?.resume(returning: value) }
            let timer = Task {
                try? await Task.sleep(for: limit)
                resume(false)
            }
            Task {
                await task.value
                timer.cancel()
                resume(true)
            }
        }
    }
}

extension CustomerDetail {
    /// The keys a context provider looks the customer up by.
    public var contextKeys: CustomerKeys {
        CustomerKeys(
            customerID: id, name: name,
            emails: identities.filter { $0.channel == "email" }.map(\.address),
            phones: identities.filter { $0.channel == "phone" }.map(\.address),
            identities: identities.map { ChannelIdentity(channel: $0.channel, address: $0.address) })
    }
}
