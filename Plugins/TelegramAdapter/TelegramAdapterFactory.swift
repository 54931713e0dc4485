import SwitchboardAdapterAPI

/// Builds `telegram` adapters. (Placeholder: being written.)
public enum TelegramAdapterFactories {
    public static let all: [any ChannelAdapterFactory] = []
}
