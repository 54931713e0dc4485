/// How urgent a conversation is: `low`, `normal`, `high` or `urgent`. An adapter may say so for a
/// message (``InboundMessage/priority``, e.g. a platform's urgency flag); rules and agents set it
/// afterwards. SLA policies are chosen by it.
public enum Priority: String, Sendable, Codable, CaseIterable, Comparable {
    case low, normal, high, urgent

    /// Lowest first.
    public static func < (a: Priority, b: Priority) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .low: 0
        case .normal: 1
        case .high: 2
        case .urgent: 3
        }
    }

    /// The names, in order, for messages.
    public static let names = allCases.map(\.rawValue).joined(separator: ", ")
}
