import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization
import Testing

@testable import EmailAdapter

/// A token endpoint played in process (RFC 6749 refresh-token and client-credentials grants):
/// answers the form it is sent, rotates refresh tokens when asked to, refuses revoked ones with
/// Google's words. The e2e suite runs the same protocol over real sockets against Dovecot.
final class TokenEndpoint: HTTPTransport {
    struct State {
        var valid: Set<String> = []
        var rotate = false
        var lifetime = 3600
        var requests: [[String: String]] = []
        var answer: (status: Int, body: String)?
        var delay: Duration = .zero
        var issued = 0
    }
    let state = Mutex(State())

    init(refreshTokens: Set<String>, rotate: Bool = false, lifetime: Int = 3600) {
        state.withLock {
            $0.valid = refreshTokens
            $0.rotate = rotate
            $0.lifetime = lifetime
        }
    }

    var requests: [[String: String]] { state.withLock { $0.requests } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let form = Dictionary(FormEncoding.parse(request.body).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let delay = state.withLock { state in
            state.requests.append(form)
            return state.delay
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        let (status, body) = state.withLock { state -> (Int, String) in
            if let answer = state.answer { return answer }
            if form["grant_type"] == "refresh_token", !state.valid.contains(form["refresh_token"] ?? "") {
                return (400, #"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#)
            }
            state.issued += 1
            var body = #"{"access_token":"at-\#(state.issued)","token_type":"Bearer","expires_in":\#(state.lifetime)"#
            if form["grant_type"] == "refresh_token", let presented = form["refresh_token"] {
                if state.rotate {
                    state.valid.remove(presented)
                    state.valid.insert("rt-\(state.issued)")
                    body += #","refresh_token":"rt-\#(state.issued)""#
                }
            }
            return (200, body + "}")
        }
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }
}

/// Adapter values in memory, standing in for the gateway's store (whose engines the store
/// conformance suite covers), with a switch to make it fail.
final class TestValues: AdapterValues {
    let values = Mutex<[String: String]>([:])
    let failing = Mutex(false)

    func adapterValue(adapter: String, key: String) async throws -> String? {
        if failing.withLock({ $0 }) { throw TransportError("store unavailable") }
        return values.withLock { $0[adapter + "/" + key] }
    }

    func saveAdapterValue(_ value: String, adapter: String, key: String, at: Date) async throws {
        if failing.withLock({ $0 }) { throw TransportError("store unavailable") }
        values.withLock { $0[adapter + "/" + key] = value }
    }
}

final class TestClock: Sendable {
    let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    var read: @Sendable () -> Date { { self.now.withLock { $0 } } }
}

@Suite struct OAuth2TokenTests {
    let settings = OAuth2Settings(
        tokenURL: "https://login.example/token", clientID: "client", clientSecret: "s3cret", refreshToken: "rt-env",
        refreshTokenEnv: "MAIL_REFRESH", scope: "https://mail.example/IMAP offline_access")

    func source(
        _ endpoint: TokenEndpoint, values: AdapterValuesSlot = AdapterValuesSlot(), clock: TestClock = TestClock(),
        settings: OAuth2Settings? = nil
    ) -> OAuth2TokenSource {
        OAuth2TokenSource(
            settings: settings ?? self.settings, transport: endpoint, values: values, adapter: "mail", logger: Logger(label: "test"),
            now: clock.read)
    }

    @Test func aTokenIsRefreshedAQuarterOfItsLifetimeBeforeItEndsAtMostAMinuteBefore() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let hour = OAuth2AccessToken(value: "a", obtainedAt: start, expiresAt: start + 3600)
        #expect(hour.refreshAt == start + 3540)
        #expect(hour.isFresh(at: start + 3539) && !hour.isFresh(at: start + 3540))
        let short = OAuth2AccessToken(value: "b", obtainedAt: start, expiresAt: start + 4)
        #expect(short.refreshAt == start + 3)
        let none = OAuth2AccessToken(value: "c", obtainedAt: start, expiresAt: start)
        #expect(!none.isFresh(at: start))
    }

    @Test func answersOfTheTokenEndpointAreRead() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func parse(_ status: Int, _ body: String) -> OAuth2TokenResponse {
            OAuth2TokenResponse.parse(status: status, body: Array(body.utf8), now: now)
        }
        #expect(
            parse(200, #"{"access_token":"x","expires_in":"3599","refresh_token":"new"}"#)
                == .granted(OAuth2AccessToken(value: "x", obtainedAt: now, expiresAt: now + 3599), refreshToken: "new"))
        #expect(
            parse(200, #"{"access_token":"x","token_type":"Bearer"}"#)
                == .granted(OAuth2AccessToken(value: "x", obtainedAt: now, expiresAt: now + 3600), refreshToken: nil))
        #expect(parse(200, #"{"token_type":"Bearer"}"#) == .refused("the token endpoint answered HTTP 200 without an access_token"))
        #expect(
            parse(400, #"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#)
                == .refused("invalid_grant: Token has been expired or revoked."))
        #expect(parse(401, #"{"error":"invalid_client"}"#) == .refused("invalid_client"))
        // Microsoft's descriptions run over several lines with trace ids: one line in /readyz.
        #expect(
            parse(400, #"{"error":"invalid_grant","error_description":"AADSTS70008: The refresh token has expired.\r\nTrace ID: 1\r\n"}"#)
                == .refused("invalid_grant: AADSTS70008: The refresh token has expired. Trace ID: 1"))
        #expect(parse(502, "Bad Gateway") == .refused("HTTP 502 from the token endpoint: Bad Gateway"))
        #expect(parse(500, "") == .refused("HTTP 500 from the token endpoint"))
    }

    @Test func theRefreshTokenGrantSendsTheClientAndScopeAndTheTokenIsCachedUntilItIsDue() async throws {
        let endpoint = TokenEndpoint(refreshTokens: ["rt-env"], lifetime: 3600)
        let clock = TestClock()
        let tokens = source(endpoint, clock: clock)
        #expect(try await tokens.accessToken(scope: settings.scope) == "at-1")
        #expect(
            endpoint.requests == [
                [
                    "grant_type": "refresh_token", "refresh_token": "rt-env", "client_id": "client", "client_secret": "s3cret",
                    "scope": "https://mail.example/IMAP offline_access",
                ]
            ])
        clock.advance(3539)
        #expect(try await tokens.accessToken(scope: settings.scope) == "at-1")
        clock.advance(1)
        #expect(try await tokens.accessToken(scope: settings.scope) == "at-2")
        #expect(endpoint.requests.count == 2)
        // Another scope of the same credential (SMTP beside IMAP) has its own token.
        #expect(try await tokens.accessToken(scope: "https://mail.example/SMTP") == "at-3")
        // A token the mail server refused is not used again.
        await tokens.invalidate("at-2")
        #expect(try await tokens.accessToken(scope: settings.scope) == "at-4")
    }

    @Test func withoutARefreshTokenTheClientCredentialsGrantIsUsed() async throws {
        let endpoint = TokenEndpoint(refreshTokens: [])
        var credentials = settings
        credentials.refreshToken = nil
        credentials.refreshTokenEnv = nil
        credentials.scope = "https://outlook.office365.com/.default"
        #expect(try await source(endpoint, settings: credentials).accessToken(scope: credentials.scope) == "at-1")
        #expect(
            endpoint.requests == [
                [
                    "grant_type": "client_credentials", "client_id": "client", "client_secret": "s3cret",
                    "scope": "https://outlook.office365.com/.default",
                ]
            ])
    }

    @Test func callersWaitingForATokenShareOneRequest() async throws {
        let endpoint = TokenEndpoint(refreshTokens: ["rt-env"], rotate: true)
        endpoint.state.withLock { $0.delay = .milliseconds(200) }
        let tokens = source(endpoint)
        let scope = settings.scope
        let got = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await tokens.accessToken(scope: scope) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(got) == ["at-1"])
        #expect(endpoint.requests.count == 1)
        // Two scopes at once: one request after the other, each with the refresh token then current.
        endpoint.state.withLock { $0.lifetime = 0 }
        let clock = TestClock()
        let rotating = source(TokenEndpoint(refreshTokens: ["rt-env"], rotate: true), clock: clock)
        async let imap = rotating.accessToken(scope: "imap")
        async let smtp = rotating.accessToken(scope: "smtp")
        let both = try await [imap, smtp]
        #expect(Set(both).count == 2)
    }

    @Test func aRotatedRefreshTokenIsStoredAndWinsAfterARestartUntilTheEnvironmentChanges() async throws {
        let endpoint = TokenEndpoint(refreshTokens: ["rt-env"], rotate: true)
        let values = TestValues()
        let slot = AdapterValuesSlot()
        slot.attach(values)
        let first = source(endpoint, values: slot)
        _ = try await first.accessToken(scope: settings.scope)
        #expect(await first.currentRefreshToken == "rt-1")
        let stored = try #require(values.values.withLock { $0.values.first })
        #expect(stored.contains("rt-1") && !stored.contains("rt-env"))
        #expect(values.values.withLock { $0.keys.first?.hasPrefix("mail/oauth2:") } == true)
        // Restarted with the same environment: the provider refuses rt-env now, the stored one works.
        let restarted = source(endpoint, values: slot)
        #expect(try await restarted.accessToken(scope: settings.scope) == "at-2")
        #expect(endpoint.requests.last?["refresh_token"] == "rt-1")
        #expect(await restarted.currentRefreshToken == "rt-2")
        // A new consent put into the environment starts a new line: the environment's token is used.
        endpoint.state.withLock { _ = $0.valid.insert("rt-new") }
        var renewed = settings
        renewed.refreshToken = "rt-new"
        let reconfigured = source(endpoint, values: slot, settings: renewed)
        _ = try await reconfigured.accessToken(scope: settings.scope)
        #expect(endpoint.requests.last?["refresh_token"] == "rt-new")
    }

    @Test func aStoreThatCannotBeReadFailsTheRefreshAndAnUnsavedRotationIsSavedLater() async throws {
        let endpoint = TokenEndpoint(refreshTokens: ["rt-env"], rotate: true)
        let values = TestValues()
        let slot = AdapterValuesSlot()
        slot.attach(values)
        values.failing.withLock { $0 = true }
        let clock = TestClock()
        let tokens = source(endpoint, values: slot, clock: clock)
        await #expect(throws: OAuth2Failure.self) { try await tokens.accessToken(scope: nil) }
        #expect(endpoint.requests.isEmpty, "the environment's token, maybe rotated away, is not tried blindly")
        #expect(tokens.health.problems.first?.hasPrefix("oauth2 token refresh failed: could not read the stored refresh token") == true)
        values.failing.withLock { $0 = false }
        _ = try await tokens.accessToken(scope: nil)
        #expect(tokens.health.problems.isEmpty)
        // Rotated while the store is down: reported, kept in memory, saved at the next call.
        values.failing.withLock { $0 = true }
        clock.advance(3600)
        _ = try await tokens.accessToken(scope: nil)
        #expect(tokens.health.problems.first?.hasPrefix("oauth2 rotated refresh token not stored yet") == true)
        values.failing.withLock { $0 = false }
        _ = try await tokens.accessToken(scope: nil)
        #expect(tokens.health.problems.isEmpty)
        #expect(values.values.withLock { $0.values.first }?.contains(await tokens.currentRefreshToken ?? "-") == true)
    }

    @Test func aRefusalIsReportedWithTheProvidersWordsAndClearedByTheNextToken() async throws {
        let endpoint = TokenEndpoint(refreshTokens: [])
        let tokens = source(endpoint)
        do {
            _ = try await tokens.accessToken(scope: nil)
            Issue.record("a revoked refresh token got a token")
        } catch {
            #expect(error.description == "oauth2 token refresh failed: invalid_grant: Token has been expired or revoked.")
        }
        #expect(tokens.health.problems == ["oauth2 token refresh failed: invalid_grant: Token has been expired or revoked."])
        endpoint.state.withLock { _ = $0.valid.insert("rt-env") }
        _ = try await tokens.accessToken(scope: nil)
        #expect(tokens.health.problems.isEmpty)
    }

    @Test func anAdapterWithARevokedTokenIsDegradedAndAMailboxSaysWhy() async throws {
        let endpoint = TokenEndpoint(refreshTokens: [])
        var settings = EmailSettings(
            address: "support@example.com", smtp: MailAccount(url: "smtp://127.0.0.1"),
            imap: MailAccount(url: "imap://127.0.0.1/INBOX", user: "support@example.com"), access: .open)
        settings.imapOAuth2 = self.settings
        settings.smtpOAuth2 = self.settings
        let mail = FakeMailTransport()
        let adapter = EmailAdapter(id: "mail", settings: settings, mail: mail, logger: Logger(label: "test"), http: endpoint)
        // IMAP and SMTP with one credential share one source.
        #expect(adapter.oauth2.imap === adapter.oauth2.smtp)
        await #expect(throws: DeliveryFailure.self) {
            _ = try await adapter.deliver(OutboundMessage(id: 1, conversationID: 1, to: "ana@customer.example", text: "Hello"))
        }
        #expect(adapter.state == .degraded("oauth2 token refresh failed: invalid_grant: Token has been expired or revoked."))
        endpoint.state.withLock { _ = $0.valid.insert("rt-env") }
        _ = try await adapter.deliver(OutboundMessage(id: 1, conversationID: 1, to: "ana@customer.example", text: "Hello"))
        #expect(adapter.state == .running)
        #expect(mail.state.withLock { $0.sent.count } == 1)
        #expect(mail.state.withLock { $0.accounts.last?.bearer } == MailBearer(token: "at-1", mechanism: .xoauth2))
    }
}

@Suite struct OAuth2SettingsTests {
    func node(_ pairs: [(String, ConfigNode.Value)], line: Int = 1) -> ConfigNode {
        ConfigNode(
            .map(pairs.enumerated().map { (key: $0.element.0, keyLine: line + $0.offset, value: ConfigNode($0.element.1, line: line + $0.offset)) }),
            line: line)
    }

    func read(imap: [(String, ConfigNode.Value)], env: [String: String] = ["SECRET": "s", "REFRESH": "r"]) -> (EmailSettings, [String]) {
        let diagnostics = ConfigDiagnostics(file: "switchboard.yaml")
        let section = ConfigSection(
            node([
                ("address", .scalar("support@example.com")), ("open", .scalar("true")),
                ("smtp", node([("url", .scalar("smtp://mail.example.com"))]).value), ("imap", node(imap, line: 10).value),
            ]), path: "adapters[0]", diagnostics: diagnostics, environment: { env[$0] })
        let settings = EmailSettings(config: section)
        section.finish()
        return (settings, diagnostics.problems.map(\.message))
    }

    func oauth2(_ pairs: [(String, ConfigNode.Value)]) -> ConfigNode.Value { node(pairs, line: 20).value }

    @Test func anOAuth2MailboxIsRead() {
        let (settings, problems) = read(imap: [
            ("url", .scalar("imaps://outlook.office365.com/INBOX")), ("user", .scalar("support@example.com")), ("auth", .scalar("oauth2")),
            (
                "oauth2",
                oauth2([
                    ("token_url", .scalar("https://login.microsoftonline.com/t/oauth2/v2.0/token")), ("client_id", .scalar("app")),
                    ("client_secret_env", .scalar("SECRET")), ("refresh_token_env", .scalar("REFRESH")),
                    (
                        "scope",
                        .list([
                            ConfigNode(.scalar("https://outlook.office365.com/IMAP.AccessAsUser.All"), line: 25),
                            ConfigNode(.scalar("offline_access"), line: 26),
                        ])
                    ),
                    ("mechanism", .scalar("oauthbearer")),
                ])
            ),
        ])
        #expect(problems.isEmpty)
        #expect(
            settings.imapOAuth2
                == OAuth2Settings(
                    tokenURL: "https://login.microsoftonline.com/t/oauth2/v2.0/token", clientID: "app", clientSecret: "s", refreshToken: "r",
                    refreshTokenEnv: "REFRESH", scope: "https://outlook.office365.com/IMAP.AccessAsUser.All offline_access",
                    mechanism: .oauthBearer))
        #expect(settings.imap?.password == nil)
        #expect(settings.smtpOAuth2 == nil)
    }

    @Test func mistakesAreReported() {
        let (_, problems) = read(
            imap: [
                ("url", .scalar("imap://mail.example.com/INBOX")), ("auth", .scalar("oauth2")), ("password_env", .scalar("SECRET")),
                ("oauth2", oauth2([("token_url", .scalar("http://login.example/token")), ("client_id", .scalar("app"))])),
            ])
        #expect(problems.contains { $0.contains("needs 'user'") })
        #expect(problems.contains { $0.contains("password_env is not used with auth: oauth2") })
        #expect(problems.contains { $0.contains("the token endpoint must be https://") })
        #expect(problems.contains { $0.contains("client-credentials grant") && $0.contains("client_secret_env") })
        #expect(!problems.contains { $0.contains("unknown key") })
        let (_, unset) = read(
            imap: [
                ("url", .scalar("imap://mail.example.com/INBOX")), ("user", .scalar("u")), ("auth", .scalar("oauth2")),
                ("oauth2", oauth2([("client_id", .scalar("app")), ("refresh_token_env", .scalar("NOT_SET"))])),
            ], env: [:])
        #expect(unset.contains { $0.contains("missing required key 'token_url'") })
        #expect(unset.contains { $0.contains("environment variable NOT_SET is not set") })
        let (_, noBlock) = read(imap: [("url", .scalar("imap://mail.example.com/INBOX")), ("user", .scalar("u")), ("auth", .scalar("oauth2"))])
        #expect(noBlock.contains { $0.contains("auth: oauth2 needs an 'oauth2' block") })
        #expect(OAuth2Settings.tokenURLProblem("http://127.0.0.1:8080/token") == nil)
        #expect(OAuth2Settings.tokenURLProblem("https://oauth2.googleapis.com/token") == nil)
    }
}
