import SwitchboardAdapterAPI

/// Builds `type: x` adapters.
public struct XAdapterFactory: ChannelAdapterFactory {
    /// A factory; it holds nothing.
    public init() {}

    /// `type: x` in the configuration.
    public var type: String { "x" }

    /// Reads `api_base`, `user_id`, `consumer_secret_env`, `access_token_env` and `public_replies`.
    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        XAdapter(id: id, settings: XSettings(config: config), transport: context.transport)
    }
}

/// The X adapter types this plugin ships, for the executable's adapter catalog.
public enum XAdapterFactories {
    /// Every factory of this plugin.
    public static let all: [any ChannelAdapterFactory] = [XAdapterFactory()]
}
