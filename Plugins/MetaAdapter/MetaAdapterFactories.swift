import SwitchboardAdapterAPI

/// The Meta family of channel adapters: `whatsapp`, `messenger` and `instagram`.
public enum MetaAdapterFactories {
    public static let all: [any ChannelAdapterFactory] = [
        WhatsAppAdapterFactory(),
        MessengerAdapterFactory(platform: .messenger),
        MessengerAdapterFactory(platform: .instagram),
    ]
}

/// Builds `type: whatsapp` adapters (WhatsApp Cloud API).
public struct WhatsAppAdapterFactory: ChannelAdapterFactory {
    public init() {}

    public var type: String { "whatsapp" }

    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        WhatsAppAdapter(id: id, settings: WhatsAppSettings(config: config), transport: context.transport, logger: context.logger)
    }
}

/// Builds `type: messenger` and `type: instagram` adapters (Messenger Platform / Instagram messaging).
public struct MessengerAdapterFactory: ChannelAdapterFactory {
    public let platform: MessengerPlatform

    public init(platform: MessengerPlatform) {
        self.platform = platform
    }

    public var type: String { platform.rawValue }

    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        MessengerAdapter(
            id: id, settings: MessengerSettings(platform: platform, config: config), transport: context.transport,
            logger: context.logger)
    }
}
