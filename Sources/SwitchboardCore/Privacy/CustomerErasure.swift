import Foundation
import SwitchboardAdapterAPI

/// Something that keeps its own copy of customers' data outside the store's tables (an in-memory
/// search index, a cache) and must drop it when a customer is erased.
public protocol ErasureObserver: Sendable {
    func customerErased(_ outcome: ErasureOutcome) async
}

/// Erasing a customer (right to erasure): the one place every erasure goes through, from the API
/// and the command line alike. The store executes ``ErasurePlanner``'s plan in one transaction
/// with its audit entry; then cached context data is dropped and observers are told.
public struct CustomerErasure: Sendable {
    let store: any CustomerDataStore
    let context: CustomerContext?
    let observers: [any ErasureObserver]
    let now: @Sendable () -> Date

    public init(
        store: any CustomerDataStore, context: CustomerContext? = nil, observers: [any ErasureObserver] = [],
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.context = context
        self.observers = observers
        self.now = now
    }

    /// Erases customer `id` (and those merged into them); `actor` did it for `reason`.
    public func erase(_ id: Int64, reason: String, by actor: String) async throws -> ErasureOutcome {
        let why = reason.trimmed
        guard !why.isEmpty, why.count <= 500 else {
            throw ServiceError.badRequest("'reason' must say why the customer is erased (1 to 500 characters; it goes to the audit trail)")
        }
        let at = now()
        let outcome = try await store.erase(
            customer: id, at: at,
            { snapshot in
                try ErasurePlanner.plan(snapshot, customer: id, by: actor, reason: why)
            }, audit: { event, head in AuditChain.seal(event, at: at, after: head) })
        await context?.forget(outcome.customers)
        for observer in observers { await observer.customerErased(outcome) }
        return outcome
    }
}
