import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

/// Why no access token could be had: the provider's own words when it refused.
struct OAuth2Failure: Error, Sendable, CustomStringConvertible {
    /// `error: error_description` as the provider said it, or why it could not be asked.
    var reason: String
    var description: String { "oauth2 token refresh failed: \(reason)" }
}

/// Access tokens for one OAuth2 credential (client and refresh token), shared by the adapter's
/// IMAP and SMTP logins when they use the same one.
///
/// Tokens are cached per scope and fetched again a little before they expire (see
/// ``OAuth2AccessToken/refreshAt``) or after the mail server refused one. One request to the token
/// endpoint at a time: callers that need a token meanwhile wait for that request's outcome, since
/// a provider that rotates refresh tokens refuses the old one once the new one is issued. A
/// rotated refresh token is saved in the gateway's store before it is used, and a saved one wins
/// over the environment's as long as the environment still holds the token it descends from (an
/// operator who puts a new token into the environment starts a new line).
actor OAuth2TokenSource {
    /// Read by `/readyz` without waiting for the actor.
    nonisolated let health = OAuth2Health()
    nonisolated let settings: OAuth2Settings
    private let transport: any HTTPTransport
    private let values: AdapterValuesSlot
    private let adapter: String
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// The refresh token in use (the environment's until a stored or rotated one replaces it).
    private var refreshToken: String?
    private var loaded = false
    /// A rotated refresh token not saved yet (the store was unavailable).
    private var unsaved: String?
    private var tokens: [String: OAuth2AccessToken] = [:]
    private var running: (scope: String, task: Task<Result<OAuth2AccessToken, OAuth2Failure>, Never>)?

    /// How long one request to the token endpoint may take.
    static let requestTimeout: Duration = .seconds(30)

    init(
        settings: OAuth2Settings, transport: any HTTPTransport, values: AdapterValuesSlot, adapter: String, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.settings = settings
        self.transport = transport
        self.values = values
        self.adapter = adapter
        self.logger = logger
        self.now = now
        refreshToken = settings.refreshToken
    }

    /// The key of the stored refresh token: one per credential, without naming a secret.
    nonisolated var valueKey: String {
        "oauth2:" + GMimeRuntime.sha256Hex(Array(settings.credential.utf8)).prefix(16)
    }

    /// A token for `scope` that is not about to expire, fetched when there is none.
    func accessToken(scope: String?) async throws(OAuth2Failure) -> String {
        let key = scope ?? ""
        while true {
            if let token = tokens[key], token.isFresh(at: now()) {
                if unsaved != nil { await saveUnsaved() }
                return token.value
            }
            if let running {
                let outcome = await running.task.value
                // The same scope: that request's outcome is ours too, failure included (asking
                // again at once would only repeat it).
                if running.scope == key { return try outcome.get().value }
                continue
            }
            let task = Task { await self.refreshOnce(scope: scope) }
            running = (key, task)
            return try await task.value.get().value
        }
    }

    /// Keeps a token for `scope` fresh until cancelled: fetched again when due, even while nothing
    /// logs in (a mailbox waiting in IDLE, no replies going out), so a revoked grant or a provider
    /// outage shows in `/readyz` when it happens and a login never waits for the token endpoint.
    /// After a failure it tries again every `retry`.
    func keepFresh(scope: String?, retry: Duration) async {
        while !Task.isCancelled {
            var wait = retry
            if (try? await accessToken(scope: scope)) != nil, let due = tokens[scope ?? ""]?.refreshAt {
                wait = .milliseconds(max(1000, Int64(due.timeIntervalSince(now()) * 1000)))
            }
            do {
                try await Task.sleep(for: wait)
            } catch {
                return
            }
        }
    }

    /// Forgets `token` (the mail server refused it), so the next call fetches a new one.
    func invalidate(_ token: String) {
        tokens = tokens.filter { $0.value.value != token }
    }

    /// The refresh token in use now (tests).
    var currentRefreshToken: String? { refreshToken }

    /// One request, and the way clear for the next before anyone waiting hears the outcome.
    private func refreshOnce(scope: String?) async -> Result<OAuth2AccessToken, OAuth2Failure> {
        let outcome = await refresh(scope: scope)
        running = nil
        return outcome
    }

    private func refresh(scope: String?) async -> Result<OAuth2AccessToken, OAuth2Failure> {
        if let failure = await loadStored() { return .failure(failed(failure)) }
        var form: [(name: String, value: String)]
        if let refreshToken {
            form = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
        } else {
            form = [("grant_type", "client_credentials")]
        }
        form.append(("client_id", settings.clientID))
        if let secret = settings.clientSecret { form.append(("client_secret", secret)) }
        if let scope { form.append(("scope", scope)) }
        let request = HTTPRequest(
            method: "POST", url: settings.tokenURL,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: FormEncoding.encode(form), timeout: Self.requestTimeout)
        // The lifetime counts from before the request: the provider's clock started no earlier.
        let asked = now()
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            let reason = (error as? TransportError)?.message ?? "\(error)"
            return .failure(failed(OAuth2Failure(reason: "could not reach the token endpoint: \(reason)")))
        }
        switch OAuth2TokenResponse.parse(status: response.status, body: response.body, now: asked) {
        case .refused(let reason):
            tokens[scope ?? ""] = nil
            return .failure(failed(OAuth2Failure(reason: reason)))
        case .granted(let token, let rotated):
            tokens[scope ?? ""] = token
            health.refreshed()
            if let rotated, rotated != refreshToken, settings.refreshToken != nil {
                refreshToken = rotated
                unsaved = rotated
                await saveUnsaved()
            }
            logger.debug(
                "oauth2 access token obtained",
                metadata: ["adapter": "\(adapter)", "expires_in": "\(Int(token.expiresAt.timeIntervalSince(asked)))"])
            return .success(token)
        }
    }

    private func failed(_ failure: OAuth2Failure) -> OAuth2Failure {
        health.refreshFailed(failure.description)
        logger.warning("oauth2 token refresh failed", metadata: ["adapter": "\(adapter)", "error": "\(failure.reason)"])
        return failure
    }

    /// What the stored record says the refresh token descends from: a digest of the
    /// environment's token, never the token itself.
    private var origin: String {
        GMimeRuntime.sha256Hex(Array((settings.refreshToken ?? "").utf8))
    }

    /// Reads the stored refresh token once. A store that cannot be read fails the refresh rather
    /// than falling back to the environment's token, which the provider may have replaced (and
    /// some providers revoke every token of a line when an old one is used again).
    private func loadStored() async -> OAuth2Failure? {
        guard !loaded else { return nil }
        guard settings.refreshToken != nil else {
            loaded = true
            return nil
        }
        let text: String?
        do {
            text = try await values.values.adapterValue(adapter: adapter, key: valueKey)
        } catch {
            return OAuth2Failure(reason: "could not read the stored refresh token: \(error)")
        }
        loaded = true
        guard let text, let record = try? JSONDecoder().decode(StoredRefreshToken.self, from: Data(text.utf8)) else { return nil }
        if record.from == origin {
            refreshToken = record.refreshToken
        } else {
            logger.notice(
                "oauth2: the configured refresh token changed since one was stored; using the configured one",
                metadata: ["adapter": "\(adapter)"])
        }
        return nil
    }

    private func saveUnsaved() async {
        guard let token = unsaved else { return }
        do {
            let record = StoredRefreshToken(refreshToken: token, from: origin)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let text = String(decoding: try encoder.encode(record), as: UTF8.self)
            try await values.values.saveAdapterValue(text, adapter: adapter, key: valueKey, at: now())
            unsaved = nil
            health.stored()
            logger.info("oauth2 refresh token rotated by the provider; the new one is stored", metadata: ["adapter": "\(adapter)"])
        } catch {
            health.storeFailed("oauth2 rotated refresh token not stored yet: \(error)")
            logger.error("oauth2 rotated refresh token could not be stored", metadata: ["adapter": "\(adapter)", "error": "\(error)"])
        }
    }
}

/// The stored form of a rotated refresh token.
struct StoredRefreshToken: Codable {
    var refreshToken: String
    /// SHA-256 (hex) of the environment's refresh token this one descends from.
    var from: String

    enum CodingKeys: String, CodingKey {
        case refreshToken = "refresh_token"
        case from
    }
}

/// How a token source is doing, for the adapter's state.
final class OAuth2Health: Sendable {
    private struct State {
        var refresh: String?
        var store: String?
    }
    private let state = Mutex(State())

    func refreshed() { state.withLock { $0.refresh = nil } }
    func refreshFailed(_ reason: String) { state.withLock { $0.refresh = reason } }
    func stored() { state.withLock { $0.store = nil } }
    func storeFailed(_ reason: String) { state.withLock { $0.store = reason } }

    /// What is wrong now; empty while tokens come and rotated ones are stored.
    var problems: [String] {
        state.withLock { [$0.refresh, $0.store].compactMap { $0 } }
    }
}
