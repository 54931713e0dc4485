import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

/// Links the other addresses a channel names for a sender (``InboundMessage/alsoKnownAs``, e.g.
/// WhatsApp's business-scoped user id next to the phone number) to the customer, right after the
/// message is stored: a reply can then reach them by either, and a later message under either
/// address threads into the same conversation. An address another customer holds is left alone
/// (an agent may merge them). Each pair is tried once per process, so the messages that follow do
/// not pay for it again.
public final class IdentityJoiner: Sendable {
    /// One stored message's sender and the addresses to link to them.
    public struct Join: Sendable {
        public var customer: Int64
        public var conversation: ConversationAccess
        public var identities: [ChannelIdentity]
    }

    private let store: any CustomerStore
    private let events: EventBus
    private let normalizer: IdentityNormalizer
    private let logger: Logger
    private let tried = Mutex(Set<String>())
    private let now: @Sendable () -> Date

    public init(
        store: any CustomerStore, events: EventBus, normalizer: IdentityNormalizer = IdentityNormalizer(), logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.events = events
        self.normalizer = normalizer
        self.logger = logger
        self.now = now
    }

    func join(_ joins: [Join], adapter: String) async {
        for join in joins {
            for identity in join.identities.map(normalizer.normalize) {
                let key = "\(join.customer)\u{0}\(identity.channel)\u{0}\(identity.address)"
                let first = tried.withLock { tried in
                    // Bounded: a long-running gateway forgets, and at worst tries a pair again.
                    if tried.count > 100_000 { tried.removeAll() }
                    return tried.insert(key).inserted
                }
                guard first else { continue }
                do {
                    let line = try await store.linkIdentity(customer: join.customer, identity: identity, by: adapter, at: now())
                    events.publish(.messageCreated(line), conversation: join.conversation)
                } catch let error as ServiceError where error.status == 409 {
                    // Already this customer's, or another's (an agent may merge them).
                    logger.debug("identity not joined", metadata: ["reason": "\(error.message)"])
                } catch {
                    logger.warning("could not join an identity", metadata: ["adapter": "\(adapter)", "error": "\(error)"])
                    tried.withLock { _ = $0.remove(key) }
                }
            }
        }
    }
}
