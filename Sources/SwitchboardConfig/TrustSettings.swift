import Foundation
import SwitchboardCore

/// `audit:` — the audit trail's own retention, separate from customers' data.
public struct AuditSettings: Sendable, Equatable {
    /// Entries older than this are pruned (the pruning itself is recorded); nil keeps them all.
    public var retention: Duration?

    public init(retention: Duration? = nil) {
        self.retention = retention
    }
}

/// `console.oidc:` — single sign-on through an OpenID Connect provider.
public struct OIDCSettings: Sendable, Equatable {
    /// The provider's issuer URL (its discovery document is `<issuer>/.well-known/openid-configuration`).
    public var issuer: String
    public var clientID: String
    /// Read from the environment variable `client_secret_env` names.
    public var clientSecret: String
    /// The ID token's claim matched against the agents' `email:` (default `email`).
    public var agentClaim: String
    public var scopes: [String]
    /// The text of the console's sign-in button.
    public var label: String
    /// How far the provider's clock may be off (for `exp`, `iat` and `nbf`).
    public var clockSkew: Duration

    public init(
        issuer: String, clientID: String, clientSecret: String, agentClaim: String = "email", scopes: [String] = ["openid", "email"],
        label: String = "Sign in with single sign-on", clockSkew: Duration = .seconds(60)
    ) {
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.agentClaim = agentClaim
        self.scopes = scopes
        self.label = label
        self.clockSkew = clockSkew
    }
}

/// `console:` — how agents sign in to the console.
public struct ConsoleSettings: Sendable, Equatable {
    /// Every password sign-in needs a TOTP code (agents without one are told to enroll).
    public var requireSecondFactor: Bool
    public var oidc: OIDCSettings?

    public init(requireSecondFactor: Bool = false, oidc: OIDCSettings? = nil) {
        self.requireSecondFactor = requireSecondFactor
        self.oidc = oidc
    }
}
