import SwitchboardAdapterAPI

/// Builds `type: telegram` adapters.
public struct TelegramAdapterFactory: ChannelAdapterFactory {
    /// A factory; it holds nothing.
    public init() {}

    /// `type: telegram` in the configuration.
    public var type: String { "telegram" }

    /// Reads `api_base`, `bot_token_env` and `secret_token_env`.
    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        TelegramAdapter(id: id, settings: TelegramSettings(config: config), transport: context.transport)
    }
}

/// The Telegram adapter types this plugin ships, for the executable's adapter catalog.
public enum TelegramAdapterFactories {
    /// Every factory of this plugin.
    public static let all: [any ChannelAdapterFactory] = [TelegramAdapterFactory()]
}
