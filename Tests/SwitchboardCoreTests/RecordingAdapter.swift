import Foundation
import SwitchboardAdapterAPI
import Synchronization

/// A channel inside the test: it hands the pipeline the events the test gives it, records every
/// reply it is asked to deliver, and answers each delivery as scripted (delivered when the script
/// is empty). A real adapter as far as the core can tell.
final class RecordingAdapter: ChannelAdapter, Sendable {
    let id: String
    let capabilities: AdapterCapabilities
    let identityChannel: String?
    private let inbound = Mutex<[InboundEvent]>([])
    private let script = Mutex<[DeliveryFailure?]>([])
    private let sent = Mutex<[OutboundMessage]>([])
    private let followUps = Mutex<(events: [[InboundEvent]], failing: Bool)>(([], false))

    init(_ id: String, capabilities: AdapterCapabilities = AdapterCapabilities(), identityChannel: String? = nil) {
        self.id = id
        self.capabilities = capabilities
        self.identityChannel = identityChannel
    }

    /// What the next request to the hook decodes to.
    func willReceive(_ events: [InboundEvent]) { inbound.withLock { $0 = events } }

    /// How the next deliveries end, in order: a failure, or nil for delivered.
    func willAnswer(_ outcomes: [DeliveryFailure?]) { script.withLock { $0 += outcomes } }

    /// Every delivery attempted, in order.
    var deliveries: [OutboundMessage] { sent.withLock { $0 } }

    func receive(_ request: InboundRequest) async throws -> InboundResult {
        .events(inbound.withLock { $0 })
    }

    func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        sent.withLock { $0.append(message) }
        // Like a platform that keeps uploaded media: each file not uploaded yet gets an id.
        for file in message.attachments where file.platformMediaID == nil {
            await message.rememberMedia(file.index, "\(id)-media-\(message.id)-\(file.index)")
        }
        let failure = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        if let failure { throw failure }
        return DeliveryReceipt(externalID: "\(id)-out-\(message.id)", state: .delivered)
    }

    /// The events of each hook request handed over after they were stored, in order.
    var storedEvents: [[InboundEvent]] { followUps.withLock { $0.events } }

    /// From now on, telling the platform what was stored fails.
    func failAfterStored() { followUps.withLock { $0.failing = true } }
}

extension RecordingAdapter: AfterStoredAdapter {
    struct PlatformDown: Error {}

    func afterStored(_ events: [InboundEvent]) async throws {
        let failing = followUps.withLock { followUps in
            followUps.events.append(events)
            return followUps.failing
        }
        if failing { throw PlatformDown() }
    }
}
