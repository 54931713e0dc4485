import SwitchboardAdapterAPI

/// Builds `type: phone-log` adapters.
public struct PhoneLogAdapterFactory: ChannelAdapterFactory {
    public init() {}

    public var type: String { "phone-log" }

    /// The hook's public URL (Twilio signs it) comes from `server.public_url`.
    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        PhoneLogAdapter(
            id: id, settings: PhoneLogSettings(config: config), publicURL: context.publicURL, transport: context.transport,
            logger: context.logger)
    }
}

/// The phone adapter types this plugin ships, for the executable's adapter catalog.
public enum PhoneLogAdapterFactories {
    public static let all: [any ChannelAdapterFactory] = [PhoneLogAdapterFactory()]
}
