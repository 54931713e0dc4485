import Crypto
import Foundation
import Hummingbird
import SwitchboardCore

/// Console sign-in: password or token → a session cookie (`sb_session`, 256 random bits, stored
/// only as its SHA-256) plus a CSRF token the console echoes as `X-CSRF-Token`.
public struct ConsoleSessions: Sendable {
    static let cookieName = "sb_session"
    /// Sessions end after this long without a request, and in any case after `lifetime`.
    static let idle: TimeInterval = 12 * 3600
    static let lifetime: TimeInterval = 7 * 24 * 3600
    /// last_seen_at is written at most this often, so reads do not turn into writes.
    static let touchEvery: TimeInterval = 60
    /// After this many failed passwords in a row, each further attempt waits longer.
    static let freeFailures = 5

    let store: (any SessionStore)?
    let directory: AgentDirectory
    /// `Secure` cookies when the console is served over TLS (`server.public_url` is https).
    let secureCookie: Bool
    let now: @Sendable () -> Date

    public init(store: (any SessionStore)?, directory: AgentDirectory, publicURL: String, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.directory = directory
        self.secureCookie = publicURL.lowercased().hasPrefix("https://")
        self.now = now
    }

    struct SignedIn {
        var agent: Agent
        var cookieValue: String
        var csrfToken: String
    }

    func signIn(agentID: String, password: String) async throws -> SignedIn {
        let store = try requireStore()
        let stored = try await store.password(agent: agentID)
        guard let agent = directory[agentID], let stored else {
            // Same work as a real check, so the answer's timing does not tell which agents exist.
            _ = await ConsolePassword.verify(password, hash: [0], salt: Array("switchboard-dummy".utf8), iterations: ConsolePassword.iterations)
            throw Self.badCredentials
        }
        if stored.failures >= Self.freeFailures, let last = stored.lastFailureAt {
            let wait = min(pow(2, Double(stored.failures - Self.freeFailures)), 900)
            let left = last.addingTimeInterval(wait).timeIntervalSince(now())
            if left > 0 {
                throw ServiceError(
                    status: 429, code: "too_many_attempts",
                    message: "too many failed sign-ins for \(agentID); try again in \(Int(left.rounded(.up))) s")
            }
        }
        guard await ConsolePassword.verify(password, hash: stored.hash, salt: stored.salt, iterations: stored.iterations) else {
            try await store.recordSignInFailure(agent: agentID, at: now())
            throw Self.badCredentials
        }
        if stored.failures > 0 { try await store.clearSignInFailures(agent: agentID) }
        return try await open(for: agent, in: store)
    }

    func signIn(token: String) async throws -> SignedIn {
        let store = try requireStore()
        guard let agent = directory.agent(forToken: token) else {
            // Tokens carry 128+ bits, so a fixed pause is enough to keep guessing pointless.
            try await Task.sleep(for: .milliseconds(300))
            throw ServiceError(status: 401, code: "unauthorized", message: "the token is not valid")
        }
        return try await open(for: agent, in: store)
    }

    /// The agent and session behind a cookie value, or nil when it is unknown or expired.
    func resolve(cookieValue: String) async throws -> (agent: Agent, session: ConsoleSession)? {
        guard let store, !cookieValue.isEmpty else { return nil }
        let key = Self.digest(cookieValue)
        guard let session = try await store.session(tokenHash: key), let agent = directory[session.agentID] else { return nil }
        let at = now()
        if at.timeIntervalSince(session.lastSeenAt) > Self.idle || at.timeIntervalSince(session.createdAt) > Self.lifetime {
            try await store.deleteSession(tokenHash: key)
            return nil
        }
        if at.timeIntervalSince(session.lastSeenAt) > Self.touchEvery {
            try await store.touchSession(tokenHash: key, at: at)
        }
        return (agent, session)
    }

    func signOut(cookieValue: String) async throws {
        guard let store else { return }
        try await store.deleteSession(tokenHash: Self.digest(cookieValue))
    }

    func cookie(_ value: String) -> Cookie {
        Cookie(
            name: Self.cookieName, value: value, maxAge: Int(Self.lifetime), path: "/", secure: secureCookie, httpOnly: true,
            sameSite: .strict)
    }

    func clearedCookie() -> Cookie {
        Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/", secure: secureCookie, httpOnly: true, sameSite: .strict)
    }

    private func open(for agent: Agent, in store: any SessionStore) async throws -> SignedIn {
        let at = now()
        try await store.deleteExpiredSessions(idleBefore: at.addingTimeInterval(-Self.idle), createdBefore: at.addingTimeInterval(-Self.lifetime))
        let value = Self.randomToken()
        let csrf = Self.randomToken()
        try await store.createSession(tokenHash: Self.digest(value), agent: agent.id, csrfToken: csrf, at: at)
        return SignedIn(agent: agent, cookieValue: value, csrfToken: csrf)
    }

    private func requireStore() throws -> any SessionStore {
        guard let store else {
            throw ServiceError(status: 503, code: "console_unavailable", message: "this storage backend does not keep console sessions")
        }
        return store
    }

    private static let badCredentials = ServiceError(status: 401, code: "bad_credentials", message: "unknown agent or wrong password")

    static func digest(_ value: String) -> [UInt8] { Array(SHA256.hash(data: Array(value.utf8))) }

    /// 256 random bits, base64url without padding (valid in a cookie and a header as is).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Whether the request carries the session's CSRF token (compared in constant time).
    static func csrfMatches(_ request: Request, _ session: ConsoleSession) -> Bool {
        guard let sent = request.headers[.init("X-CSRF-Token")!] else { return false }
        return ConsolePassword.constantTimeEqual(Array(sent.utf8), Array(session.csrfToken.utf8))
    }
}
