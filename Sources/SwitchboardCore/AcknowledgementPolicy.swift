import Foundation
import SwitchboardAdapterAPI

/// When and how the gateway answers a new request by itself: a short note through the channel the
/// customer used, with the conversation's reference, who looks after it and by when.
public struct AcknowledgementPolicy: Sendable {
    public var enabled: Bool
    /// A customer who wrote within this long before is not acknowledged again (a reopened
    /// conversation after a quick "thanks!" should not get a second form reply).
    public var quietPeriod: Duration
    /// The template for a reply through `adapter`, or nil when that adapter does not acknowledge
    /// (switched off for it, or the channel refuses such a reply).
    public var template: @Sendable (_ adapter: String, _ reply: ReplyContext) -> String?
    /// The agent's display name and time zone, for the text.
    public var agent: @Sendable (String) -> (name: String, timeZone: TimeZone)?
    /// Shared by copies of the policy: the counts are the process's.
    private let counter: AcknowledgementCounter

    public init(
        enabled: Bool, quietPeriod: Duration = .seconds(600),
        template: @escaping @Sendable (_ adapter: String, _ reply: ReplyContext) -> String?,
        agent: @escaping @Sendable (String) -> (name: String, timeZone: TimeZone)?,
        limits: AcknowledgementLimits = AcknowledgementLimits()
    ) {
        self.counter = AcknowledgementCounter(limits: limits)
        self.enabled = enabled
        self.quietPeriod = quietPeriod
        self.template = template
        self.agent = agent
    }

    /// Whether an acknowledgement may go to the sender of `message` now: never when the adapter
    /// could not verify the sender (``InboundMessage/noAutoReply``), and only within the limits per
    /// address and per domain. Takes one from the limits when it answers true, so ask only when an
    /// acknowledgement is otherwise due.
    public func permits(_ message: InboundMessage, at now: Date) -> Bool {
        guard message.noAutoReply == nil else { return false }
        return counter.take(address: message.from.address, now: now)
    }

    public static let off = AcknowledgementPolicy(enabled: false, template: { _, _ in nil }, agent: { _ in nil })

    /// Used when an adapter sets no `acknowledgement:` text of its own.
    public static let defaultTemplate =
        "Hi {customer}, thank you for your message. {owner} will look after it and answer by {due}. Your reference is {reference}."

    /// Fills `{customer}`, `{owner}`, `{due}` and `{reference}`. The due time is shown in the
    /// owner's time zone, as the owner is the one who keeps the promise.
    public func render(_ template: String, reference: String, owner: String?, customer: String?, due: Date?) -> String {
        let agent = owner.flatMap(self.agent)
        let firstName = customer?.split(separator: " ").first.map(String.init)
        var dueText = "the end of the next working day"
        if let due {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = agent?.timeZone ?? .gmt
            formatter.dateFormat = "EEE d MMM, HH:mm zzz"
            dueText = formatter.string(from: due)
        }
        return
            template
            .replacingOccurrences(of: "{customer}", with: firstName ?? "there")
            .replacingOccurrences(of: "{owner}", with: agent?.name ?? "Our team")
            .replacingOccurrences(of: "{due}", with: dueText)
            .replacingOccurrences(of: "{reference}", with: reference)
    }
}
