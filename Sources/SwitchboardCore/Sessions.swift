import Foundation

/// An agent's console password as stored: a salted PBKDF2 hash, never the password. (Failed
/// sign-ins are counted by the gateway, per source address and account, not here.)
public struct StoredPassword: Sendable, Equatable {
    public var agentID: String
    public var hash: [UInt8]
    public var salt: [UInt8]
    public var iterations: Int

    public init(agentID: String, hash: [UInt8], salt: [UInt8], iterations: Int) {
        self.agentID = agentID
        self.hash = hash
        self.salt = salt
        self.iterations = iterations
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
    /// For a session opened with an API token: a keyed hash of that token (keyed with the cookie
    /// value, which is not stored), so the session ends once the agent's token changes. Nil for a
    /// session opened with a password.
    public var tokenFingerprint: [UInt8]?

    public init(agentID: String, csrfToken: String, createdAt: Date, lastSeenAt: Date, tokenFingerprint: [UInt8]? = nil) {
        self.agentID = agentID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.tokenFingerprint = tokenFingerprint
    }
}

/// Console credentials and sessions. A separate protocol from ``Store`` so a store without a
/// console (or a test double) needs none of it; the gateway then refuses sign-in with 503.
public protocol SessionStore: Sendable {
    /// Stores a new password and ends every session of the agent.
    func setPassword(agent: String, hash: [UInt8], salt: [UInt8], iterations: Int, at: Date) async throws
    func password(agent: String) async throws -> StoredPassword?

    /// `tokenFingerprint`: see ``ConsoleSession/tokenFingerprint``.
    func createSession(tokenHash: [UInt8], agent: String, csrfToken: String, tokenFingerprint: [UInt8]?, at: Date) async throws
    func session(tokenHash: [UInt8]) async throws -> ConsoleSession?
    func touchSession(tokenHash: [UInt8], at: Date) async throws
    func deleteSession(tokenHash: [UInt8]) async throws
    /// Ends every session of `agent` (`switchboard agents signout`); returns how many there were.
    @discardableResult func deleteSessions(agent: String) async throws -> Int
    /// Removes sessions last seen before `idleBefore` or created before `createdBefore`.
    func deleteExpiredSessions(idleBefore: Date, createdBefore: Date) async throws
}

extension SessionStore {
    /// A session opened with a password (no token to follow).
    public func createSession(tokenHash: [UInt8], agent: String, csrfToken: String, at: Date) async throws {
        try await createSession(tokenHash: tokenHash, agent: agent, csrfToken: csrfToken, tokenFingerprint: nil, at: at)
    }
}
