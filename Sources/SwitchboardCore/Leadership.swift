/// Whether this gateway does the work that must happen once per deployment (SLA timers,
/// reassignments). With one process (SQLite) it always does; with several on one database, a
/// store-specific election (e.g. a PostgreSQL advisory lock) decides, and moves the role when the
/// holder dies.
public protocol Leadership: Sendable {
    var isLeader: Bool { get }
    /// Campaigns for (and keeps) the role until cancelled.
    func run() async throws
}

/// The single-process case: always the leader.
public struct SoleLeader: Leadership {
    public init() {}
    public var isLeader: Bool { true }
    public func run() async throws {}
}
