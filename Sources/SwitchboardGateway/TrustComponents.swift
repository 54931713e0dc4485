import Foundation
import SwitchboardAdapterAPI
import SwitchboardConfig
import SwitchboardCore

/// What the console's sign-in needs beyond passwords and tokens: the second factor's rule and the
/// single sign-on provider.
public struct TrustComponents: Sendable {
    /// `console:` of the configuration.
    public var console = ConsoleSettings()
    /// How the gateway reaches the single sign-on provider (discovery, keys, tokens).
    public var transport: (any HTTPTransport)?
    /// Seals single sign-on's state cookie; derived from the gateway's key so every gateway of the
    /// database opens what another sealed (random, and so per process, when not given).
    public var stateKey: [UInt8]

    public init(console: ConsoleSettings = ConsoleSettings(), transport: (any HTTPTransport)? = nil, stateKey: [UInt8]? = nil) {
        self.console = console
        self.transport = transport
        self.stateKey = stateKey ?? GatewayKey(GatewayKey.generate()).derivedKey("oidc-state")
    }

    /// The single sign-on client, when `console.oidc` is configured.
    func oidcClient(publicURL: String) -> OIDCClient? {
        guard let settings = console.oidc, let transport else { return nil }
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        return OIDCClient(settings: settings, redirectURI: base + "/console/oidc/callback", transport: transport)
    }
}
