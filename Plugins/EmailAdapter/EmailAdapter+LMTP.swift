import SwitchboardAdapterAPI

/// Direct delivery from the MTA: the gateway runs the LMTP listener configured under `lmtp:` and
/// hands each message here with its envelope.
extension EmailAdapter: MailDeliveryAdapter {
    public var lmtp: LMTPEndpoint? { settings.lmtp }

    /// `address`, `lmtp.recipients`, and either with a `+tag`.
    public func accepts(recipient address: String) -> Bool {
        settings.isOwnMailbox(address)
    }

    /// Decoded like a hook post; the envelope sender is kept and is the last sender fallback.
    public func receive(_ delivery: MailDelivery) async throws(InboundError) -> [InboundEvent] {
        try await decode(delivery.message, envelope: delivery.envelope)
    }
}
