import Foundation

/// Publishes what a commit changed to the agents concerned.
public struct IngestNotifier: Sendable {
    public let events: EventBus
    /// Called when a commit queued acknowledgements, so the outbox sends them now.
    private let wakeOutbox: @Sendable () -> Void
    /// Warms the context providers' cache for customers who just started a request, so the agent
    /// opening the conversation finds their data there; never awaited by ingestion.
    private let prefetch: (@Sendable (Int64) -> Void)?
    /// Called after a commit that stored something: the rules and webhooks find its events queued.
    private let wakeAutomation: @Sendable () -> Void
    /// Called after a commit that stored media to fetch: the fetch job is written.
    private let wakeMedia: @Sendable () -> Void

    public init(
        events: EventBus, wakeOutbox: @escaping @Sendable () -> Void = {}, prefetch: (@Sendable (Int64) -> Void)? = nil,
        wakeAutomation: @escaping @Sendable () -> Void = {}, wakeMedia: @escaping @Sendable () -> Void = {}
    ) {
        self.wakeMedia = wakeMedia
        self.events = events
        self.wakeOutbox = wakeOutbox
        self.prefetch = prefetch
        self.wakeAutomation = wakeAutomation
    }

    public func published(_ items: [IngestItem], _ outcomes: [IngestOutcome]) {
        if outcomes.contains(where: \.queuedAcknowledgement) { wakeOutbox() }
        var stored = false
        for outcome in outcomes {
            guard let access = outcome.access else { continue }
            stored = true
            if outcome.assignment != nil, let prefetch, let customer = outcome.customerID { prefetch(customer) }
            // Ingestion wrote these to the automation queue in its own transaction.
            for event in outcome.events { events.publish(event, conversation: access, journal: false) }
        }
        if stored { wakeAutomation() }
        let fetching = items.contains { item in
            if case .message(let message) = item.event { return message.attachments.contains(where: \.isFetching) }
            return false
        }
        if fetching { wakeMedia() }
    }
}
