import Crypto
import Foundation
import Hummingbird
import SwitchboardCore

/// Console sign-in: password or token → a session cookie (`sb_session`, 256 random bits, stored
/// only as its SHA-256) plus a CSRF token the console echoes as `X-CSRF-Token`.
///
/// A session opened with an API token lasts only while that token is the agent's token: it keeps a
/// fingerprint of the token (HMAC-SHA256 keyed with the cookie value, which the database does not
/// hold, so a copy of the database cannot be used to test guesses of the token), and ends at the
/// first request after the token changed.
public struct ConsoleSessions: Sendable {
    static let cookieName = "sb_session"
    /// Sessions end after this long without a request, and in any case after `lifetime`.
    static let idle: TimeInterval = 12 * 3600
    static let lifetime: TimeInterval = 7 * 24 * 3600
    /// last_seen_at is written at most this often, so reads do not turn into writes.
    static let touchEvery: TimeInterval = 60

    let store: any SessionStore
    let directory: AgentDirectory
    /// Each agent's current API token, by agent id.
    let tokens: [String: String]
    let throttle: AuthThrottle
    /// `Secure` cookies when the console is served over TLS (`server.public_url` is https).
    let secureCookie: Bool
    let now: @Sendable () -> Date
    /// Sign-ins, refusals and sign-outs are recorded here, with the client's address.
    let audit: AuditTrail?
    /// Agents' TOTP enrollments and recovery codes; nil: no second factor.
    let secondFactors: (any SecondFactorStore)?
    /// `console.require_2fa`: a password alone never signs in.
    let requireSecondFactor: Bool

    public init(
        store: any SessionStore, directory: AgentDirectory, tokens: [String: String], throttle: AuthThrottle = AuthThrottle(),
        publicURL: String, now: @escaping @Sendable () -> Date = Date.init, audit: AuditTrail? = nil,
        secondFactors: (any SecondFactorStore)? = nil, requireSecondFactor: Bool = false
    ) {
        self.audit = audit
        self.secondFactors = secondFactors
        self.requireSecondFactor = requireSecondFactor
        self.store = store
        self.directory = directory
        self.tokens = tokens
        self.throttle = throttle
        self.secureCookie = publicURL.lowercased().hasPrefix("https://")
        self.now = now
    }

    struct SignedIn {
        var agent: Agent
        var cookieValue: String
        var csrfToken: String
    }

    /// Checks a password, then, when the agent enrolled a second factor (or `require_2fa` is on),
    /// the code. The password attempt is counted (for the source address and the account) before
    /// anything is hashed, so a throttled source costs no hashing and parallel guesses cannot
    /// outrun the count; an unknown agent goes through the same steps and the same hashing, and
    /// gets the same answer, as a wrong password. Only a right password learns that a code is
    /// needed; codes are counted under their own, tighter throttle.
    func signIn(agentID: String, password: String, code: String?, source: String) async throws -> SignedIn {
        if let wait = throttle.reservePassword(source: source, account: agentID, now: now()) { throw TooManyAttempts(wait: wait) }
        let stored = try await store.password(agent: agentID)
        guard let agent = directory[agentID], let stored else {
            _ = await ConsolePassword.verify(password, hash: Self.dummyHash, salt: Self.dummySalt, iterations: ConsolePassword.iterations)
            await failed(agentID, source: source, method: "password", reason: "bad_credentials")
            throw Self.badCredentials
        }
        guard await ConsolePassword.verify(password, hash: stored.hash, salt: stored.salt, iterations: stored.iterations) else {
            await failed(agentID, source: source, method: "password", reason: "bad_credentials")
            throw Self.badCredentials
        }
        let enrolled = try await secondFactors?.totp(agent: agent.id)
        guard enrolled != nil || requireSecondFactor else {
            throttle.passwordSucceeded(source: source, account: agentID, now: now())
            return try await open(for: agent, token: nil, in: store, source: source, method: "password")
        }
        throttle.passwordRight(source: source, now: now())
        guard let enrolled, let secondFactors else {
            await failed(agentID, source: source, method: "password", reason: "second_factor_not_enrolled")
            throw ServiceError(
                status: 403, code: "second_factor_not_enrolled",
                message: "this console requires a second factor and none is set up for \(agent.id): ask an operator to run "
                    + "`switchboard agents totp \(agent.id)` and add the code it prints to an authenticator app")
        }
        guard let code = code?.trimmed, !code.isEmpty else {
            throw ServiceError(
                status: 401, code: "second_factor_required",
                message: "enter the 6-digit code of your authenticator app (or one of your recovery codes)")
        }
        if let wait = throttle.reserveCode(source: source, account: agentID, now: now()) { throw TooManyAttempts(wait: wait) }
        let method: String
        if let totp = SecondFactor.totpCode(code) {
            guard let step = SecondFactor.matchingStep(totp, secret: enrolled.secret, at: now()) else {
                await failed(agentID, source: source, method: "password+totp", reason: "bad_code")
                throw Self.badCode
            }
            guard try await secondFactors.useTOTPStep(agent: agent.id, step: step) else {
                await failed(agentID, source: source, method: "password+totp", reason: "code_used_before")
                throw Self.badCode
            }
            method = "password+totp"
        } else {
            let hash = SecondFactor.recoveryCodeHash(agent: agent.id, code: code)
            guard try await secondFactors.useRecoveryCode(agent: agent.id, hash: hash, at: now()) else {
                await failed(agentID, source: source, method: "password+recovery_code", reason: "bad_code")
                throw Self.badCode
            }
            let left = try await secondFactors.recoveryCodesLeft(agent: agent.id)
            await audit?.record(.recoveryCodeUsed, actor: agent.id, subject: "agent:\(agent.id)", source: source, details: ["left": String(left)])
            method = "password+recovery_code"
        }
        throttle.codeSucceeded(source: source, account: agentID, now: now())
        throttle.passwordSucceeded(source: source, account: agentID, now: now())
        return try await open(for: agent, token: nil, in: store, source: source, method: method)
    }

    private static let badCode = ServiceError(
        status: 401, code: "bad_code", message: "that code is not right, or was used already; wait for the next one")

    /// Records a refused sign-in. The id typed is named only when it is an agent's (people type
    /// passwords into the wrong field).
    func failed(_ agentID: String?, source: String, method: String, reason: String) async {
        let known = agentID.flatMap { directory[$0] }
        var details = ["method": method, "reason": reason]
        if agentID != nil, known == nil { details["agent"] = "unknown" }
        await audit?.record(.signInFailed, actor: nil, subject: known.map { "agent:\($0.id)" }, source: source, details: details)
    }

    func signIn(token: String, source: String) async throws -> SignedIn {
        if let wait = throttle.reserveBearer(source: source, now: now()) { throw TooManyAttempts(wait: wait) }
        guard let agent = directory.agent(forToken: token) else {
            await failed(nil, source: source, method: "token", reason: "bad_token")
            throw ServiceError(status: 401, code: "unauthorized", message: "the token is not valid")
        }
        throttle.bearerSucceeded(source: source, now: now())
        return try await open(for: agent, token: token, in: store, source: source, method: "token")
    }

    /// The agent and session behind a cookie value, or nil when it is unknown or expired.
    func resolve(cookieValue: String) async throws -> (agent: Agent, session: ConsoleSession)? {
        guard !cookieValue.isEmpty else { return nil }
        let key = Self.digest(cookieValue)
        guard let session = try await store.session(tokenHash: key), let agent = directory[session.agentID] else { return nil }
        let at = now()
        let tokenChanged =
            session.tokenFingerprint.map { opened in
                guard let current = tokens[agent.id] else { return true }
                return !ConsolePassword.constantTimeEqual(Self.fingerprint(token: current, cookieValue: cookieValue), opened)
            } ?? false
        if tokenChanged || at.timeIntervalSince(session.lastSeenAt) > Self.idle || at.timeIntervalSince(session.createdAt) > Self.lifetime {
            try await store.deleteSession(tokenHash: key)
            return nil
        }
        if at.timeIntervalSince(session.lastSeenAt) > Self.touchEvery {
            try await store.touchSession(tokenHash: key, at: at)
        }
        return (agent, session)
    }

    func signOut(cookieValue: String, agent: Agent, source: String) async throws {
        try await store.deleteSession(tokenHash: Self.digest(cookieValue))
        await audit?.record(.signOut, actor: agent.id, subject: "agent:\(agent.id)", source: source)
    }

    func cookie(_ value: String) -> Cookie {
        Cookie(
            name: Self.cookieName, value: value, maxAge: Int(Self.lifetime), path: "/", secure: secureCookie, httpOnly: true,
            sameSite: .strict)
    }

    func clearedCookie() -> Cookie {
        Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/", secure: secureCookie, httpOnly: true, sameSite: .strict)
    }

    func open(for agent: Agent, token: String?, in store: any SessionStore, source: String, method: String) async throws -> SignedIn {
        let at = now()
        try await store.deleteExpiredSessions(idleBefore: at.addingTimeInterval(-Self.idle), createdBefore: at.addingTimeInterval(-Self.lifetime))
        let value = Self.randomToken()
        let csrf = Self.randomToken()
        try await store.createSession(
            tokenHash: Self.digest(value), agent: agent.id, csrfToken: csrf,
            tokenFingerprint: token.map { Self.fingerprint(token: $0, cookieValue: value) }, at: at)
        await audit?.record(.signIn, actor: agent.id, subject: "agent:\(agent.id)", source: source, details: ["method": method])
        return SignedIn(agent: agent, cookieValue: value, csrfToken: csrf)
    }

    private static let badCredentials = ServiceError(status: 401, code: "bad_credentials", message: "unknown agent or wrong password")

    static func digest(_ value: String) -> [UInt8] { Array(SHA256.hash(data: Array(value.utf8))) }

    /// The token a session was opened with, as HMAC-SHA256 keyed with the session's cookie value.
    static func fingerprint(token: String, cookieValue: String) -> [UInt8] {
        let key = SymmetricKey(data: Array(cookieValue.utf8))
        return Array(HMAC<SHA256>.authenticationCode(for: Array("switchboard console token\u{0}\(token)".utf8), using: key))
    }

    /// What an unknown agent's password is checked against: the same derivation as a real check.
    private static let dummySalt = Array("switchboard-dummy-salt".utf8)
    private static let dummyHash = [UInt8](repeating: 0, count: 32)

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
