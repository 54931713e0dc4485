import Foundation

/// An agent's console password as stored: a salted PBKDF2 hash, never the password.
public struct StoredPassword: Sendable, Equatable {
    public var agentID: String
    public var hash: [UInt8]
    public var salt: [UInt8]
    public var iterations: Int
    /// Failed sign-ins since the last success, and when the latest happened (for throttling).
    public var failures: Int
    public var lastFailureAt: Date?

    public init(agentID: String, hash: [UInt8], salt: [UInt8], iterations: Int, failures: Int = 0, lastFailureAt: Date? = nil) {
        self.agentID = agentID
        self.hash = hash
        self.salt = salt
        self.iterations = iterations
        self.failures = failures
        self.lastFailureAt = lastFailureAt
    }
}

/// A signed-in console session. Only the SHA-256 of the cookie value is stored, so a copy of the
/// database does not hand out live sessions.
public struct ConsoleSession: Sendable, Equatable {
    public var agentID: String
    /// Sent back by the console as `X-CSRF-Token` on every state-changing request.
    public var csrfToken: String
    public var createdAt: Date
    public var lastSeenAt: Date

    public init(agentID: String, csrfToken: String, createdAt: Date, lastSeenAt: Date) {
        self.agentID = agentID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// Console credentials and sessions. A separate protocol from ``Store`` so a store without a
/// console (or a test double) needs none of it; the gateway then refuses sign-in with 503.
public protocol SessionStore: Sendable {
    func setPassword(agent: String, hash: [UInt8], salt: [UInt8], iterations: Int, at: Date) async throws
    func password(agent: String) async throws -> StoredPassword?
    /// Counts a failed sign-in for `agent` (no-op without a password).
    func recordSignInFailure(agent: String, at: Date) async throws
    func clearSignInFailures(agent: String) async throws

    func createSession(tokenHash: [UInt8], agent: String, csrfToken: String, at: Date) async throws
    func session(tokenHash: [UInt8]) async throws -> ConsoleSession?
    func touchSession(tokenHash: [UInt8], at: Date) async throws
    func deleteSession(tokenHash: [UInt8]) async throws
    /// Removes sessions last seen before `idleBefore` or created before `createdBefore`.
    func deleteExpiredSessions(idleBefore: Date, createdBefore: Date) async throws
}
