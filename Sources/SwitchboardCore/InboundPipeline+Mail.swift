import SwitchboardAdapterAPI

extension InboundPipeline {
    /// Stores one message an MTA delivered directly (LMTP) to `adapter`, decoded by the adapter and
    /// checked, counted and committed exactly like a post to its hook; returns once it is durable.
    ///
    /// Throws the adapter's ``InboundError`` for what can never be stored (the MTA bounces it), and
    /// anything else (``ServiceError/storageUnavailable(_:)``, a store error) when it could not be
    /// stored now (the MTA keeps it queued and retries).
    public func receive(adapter id: String, delivery: MailDelivery) async throws -> InboundAcceptance {
        guard let adapter = adapters[id]?.adapter as? any MailDeliveryAdapter else {
            throw ServiceError.notFound("mail adapter '\(id)'")
        }
        let events: [InboundEvent]
        do throws(InboundError) {
            events = try await adapter.receive(delivery)
            try checkStorable(events)
        } catch {
            refused(error, adapter: id)
            throw error
        }
        return acceptance(try await ingest(events, adapter: id), skipped: [])
    }
}
