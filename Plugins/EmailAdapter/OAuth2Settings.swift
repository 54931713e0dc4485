import Foundation
import SwitchboardAdapterAPI

/// How an `imap:` or `smtp:` block logs in with OAuth2 (`auth: oauth2`):
///
/// ```yaml
/// imap:
///   url: imaps://outlook.office365.com/INBOX
///   user: support@example.com
///   auth: oauth2
///   oauth2:
///     token_url: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token
///     client_id: 00000000-0000-0000-0000-000000000000
///     client_secret_env: MAIL_CLIENT_SECRET       # optional for public clients
///     refresh_token_env: MAIL_REFRESH_TOKEN       # absent: client-credentials grant
///     scope: https://outlook.office365.com/IMAP.AccessAsUser.All offline_access
///     mechanism: xoauth2                          # or oauthbearer
/// ```
///
/// Secrets come only from the environment variables named by `*_env`. With a refresh token the
/// refresh-token grant is used (and a refresh token the provider rotates is kept in the store);
/// without one, the client-credentials grant, which needs the client secret.
public struct OAuth2Settings: Sendable, Equatable {
    /// The provider's token endpoint.
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: String?
    /// The refresh token from the environment; nil: client-credentials grant.
    public var refreshToken: String?
    /// The name of the variable the refresh token came from (identifies the credential).
    public var refreshTokenEnv: String?
    /// Space-separated scopes asked for; nil: the provider's default for the grant.
    public var scope: String?
    /// How the access token is presented to the mail server.
    public var mechanism: MailBearer.Mechanism

    /// Settings given directly (tests, embedding).
    public init(
        tokenURL: String, clientID: String, clientSecret: String? = nil, refreshToken: String? = nil, refreshTokenEnv: String? = nil,
        scope: String? = nil, mechanism: MailBearer.Mechanism = .xoauth2
    ) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
        self.refreshTokenEnv = refreshTokenEnv
        self.scope = scope
        self.mechanism = mechanism
    }

    /// The one credential behind these settings: IMAP and SMTP logging in with the same client
    /// and refresh token share one token source, because a provider that rotates refresh tokens
    /// invalidates the old one when either side refreshes.
    var credential: String {
        [tokenURL, clientID, refreshTokenEnv ?? "client_credentials"].joined(separator: "\n")
    }

    /// Reads `auth` and `oauth2` of an `imap:`/`smtp:` section (`nil` for password login);
    /// problems go to the section's diagnostics with their line.
    static func read(_ section: ConfigSection, user: String?) -> OAuth2Settings? {
        let auth = section.choice("auth", ["password", "oauth2"], default: section.has("oauth2") ? "oauth2" : "password")
        guard auth == "oauth2" else {
            if section.has("oauth2") { section.problem("oauth2", "oauth2 is only used with auth: oauth2") }
            _ = section.node("oauth2")
            return nil
        }
        if user?.trimmed.isEmpty ?? true {
            section.problem(nil, "auth: oauth2 needs 'user' (the mailbox's login, e.g. support@example.com)")
        }
        if section.has("password_env") {
            section.problem("password_env", "password_env is not used with auth: oauth2 (the access token is the password)")
            _ = section.node("password_env")
        }
        guard let config = section.section("oauth2") else {
            section.problem(nil, "auth: oauth2 needs an 'oauth2' block (token_url, client_id, client_secret_env, refresh_token_env, scope)")
            return nil
        }
        defer { config.finish() }
        let tokenURL = config.requiredString("token_url")?.trimmed ?? ""
        if !tokenURL.isEmpty, let problem = Self.tokenURLProblem(tokenURL) {
            config.problem("token_url", problem)
        }
        let clientID = config.requiredString("client_id")?.trimmed ?? ""
        let clientSecret = config.secret("client_secret_env")
        let refreshTokenEnv = config.string("refresh_token_env")?.trimmed
        let refreshToken = config.secret("refresh_token_env")
        if refreshTokenEnv == nil, !config.has("client_secret_env") {
            config.problem(
                nil,
                "without refresh_token_env the client-credentials grant is used, which needs client_secret_env "
                    + "(for a mailbox a person consented to, give refresh_token_env)")
        }
        let scopes = config.stringList("scope").flatMap { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
        let mechanism =
            config.choice("mechanism", ["xoauth2", "oauthbearer"], default: "xoauth2") == "oauthbearer"
            ? MailBearer.Mechanism.oauthBearer : .xoauth2
        return OAuth2Settings(
            tokenURL: tokenURL, clientID: clientID, clientSecret: clientSecret, refreshToken: refreshToken,
            refreshTokenEnv: refreshTokenEnv, scope: scopes.isEmpty ? nil : scopes.joined(separator: " "), mechanism: mechanism)
    }

    /// Tokens and secrets travel to the token endpoint: HTTPS, except to this machine.
    static func tokenURLProblem(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            return "'\(url)' is not a URL like https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token"
        }
        if scheme == "https" { return nil }
        if scheme == "http", ["127.0.0.1", "::1", "localhost"].contains(host.lowercased()) { return nil }
        return "the token endpoint must be https:// (http:// only on this machine: 127.0.0.1, ::1, localhost)"
    }
}
