import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore

/// The sections of issue 21: `audit:`, `retention:`, `console:`.
extension ConfigLoader {
    static func readTrust(_ root: ConfigSection, into config: inout GatewayConfig) {
        if let s = root.section("audit") {
            config.audit.retention = positive(s, "retention")
            s.finish()
        }
        if let s = root.section("retention") {
            config.retention.base = readRetentionRule(s)
            config.retention.onlyResolved = s.bool("only_resolved", default: true)
            s.finish()
        }
        if let s = root.section("console") {
            config.console.requireSecondFactor = s.bool("require_2fa", default: false)
            if let o = s.section("oidc") { config.console.oidc = readOIDC(o) }
            s.finish()
        }
    }

    /// An agent's `email:` (what single sign-on matches), lower-cased.
    static func readEmail(_ s: ConfigSection) -> String? {
        guard let email = s.string("email")?.trimmed, !email.isEmpty else { return nil }
        guard email.contains("@"), !email.contains(" ") else {
            s.problem("email", "'\(email)' is not an e-mail address")
            return nil
        }
        return email.lowercased()
    }

    /// `messages:` and `attachments:` of a retention rule (the section is finished by the caller).
    static func readRetentionRule(_ s: ConfigSection) -> RetentionRule {
        RetentionRule(messages: positive(s, "messages"), attachments: positive(s, "attachments"))
    }

    /// A retention of at least a day: anything shorter is almost certainly a slip (`30m` for `30d`).
    private static func positive(_ s: ConfigSection, _ key: String) -> Duration? {
        guard let d = s.duration(key) else { return nil }
        guard d >= .seconds(86400) else {
            s.problem(key, "'\(s.string(key) ?? "")' is shorter than a day; write retention periods in days (e.g. 180d)")
            return nil
        }
        return d
    }

    private static func readOIDC(_ s: ConfigSection) -> OIDCSettings? {
        defer { s.finish() }
        let issuer = s.requiredString("issuer")
        let clientID = s.requiredString("client_id")
        let secret = s.secret("client_secret_env", required: true)
        let claim = s.string("agent_claim") ?? "email"
        var scopes = s.stringList("scopes")
        if scopes.isEmpty { scopes = ["openid", "email"] }
        if !scopes.contains("openid") { s.problem("scopes", "the scopes must include 'openid'") }
        let label = s.string("label") ?? "Sign in with single sign-on"
        let skew = s.duration("clock_skew", default: .seconds(60))!
        if skew > .seconds(300) { s.problem("clock_skew", "at most 5m: a longer skew lets old ID tokens through") }
        if let issuer {
            if let url = URLComponents(string: issuer), let scheme = url.scheme, let host = url.host, !host.isEmpty {
                let loopback = host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]"
                if scheme != "https" && !(scheme == "http" && loopback) {
                    s.problem("issuer", "'\(issuer)' must be an https:// URL (http only on loopback, for tests)")
                }
            } else {
                s.problem("issuer", "'\(issuer)' is not a URL")
            }
        }
        guard let issuer, let clientID, let secret else { return nil }
        return OIDCSettings(
            issuer: issuer, clientID: clientID, clientSecret: secret,
            agentClaim: claim, scopes: scopes, label: label, clockSkew: skew)
    }
}
