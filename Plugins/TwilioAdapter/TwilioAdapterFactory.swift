import SwitchboardAdapterAPI

/// Builds `type: twilio-sms` adapters.
public struct TwilioSMSAdapterFactory: ChannelAdapterFactory {
    /// A factory; it holds nothing.
    public init() {}

    /// `type: twilio-sms` in the configuration.
    public var type: String { "twilio-sms" }

    /// Reads `api_base`, `account_sid`, `auth_token_env` and `from`; the hook's public URL comes
    /// from `server.public_url`.
    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        TwilioAdapter(id: id, settings: TwilioSettings(config: config), publicURL: context.publicURL, transport: context.transport)
    }
}

/// The Twilio adapter types this plugin ships, for the executable's adapter catalog.
public enum TwilioAdapterFactories {
    /// Every factory of this plugin.
    public static let all: [any ChannelAdapterFactory] = [TwilioSMSAdapterFactory()]
}
