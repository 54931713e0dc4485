import SwitchboardAdapterAPI

/// Builds `type: phone-log` adapters.
public struct PhoneLogAdapterFactory: ChannelAdapterFactory {
    public init() {}

    public var type: String { "phone-log" }

    /// The hook's public URL (Twilio signs it) comes from `server.public_url`.
    /// With `watch:`, the adapter also tails that CDR file (on the elected gateway).
    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        let settings = PhoneLogSettings(config: config)
        let adapter = PhoneLogAdapter(
            id: id, settings: settings, publicURL: context.publicURL, transport: context.transport, logger: context.logger)
        guard let watch = settings.watch else { return adapter }
        return WatchingPhoneLogAdapter(base: adapter, watch: watch, logger: context.logger)
    }
}

/// The phone adapter types this plugin ships, for the executable's adapter catalog.
public enum PhoneLogAdapterFactories {
    public static let all: [any ChannelAdapterFactory] = [PhoneLogAdapterFactory()]
}
