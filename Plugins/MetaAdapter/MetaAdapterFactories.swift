import SwitchboardAdapterAPI

/// Builds `whatsapp`, `messenger` and `instagram` adapters. (Placeholder: being written.)
public enum MetaAdapterFactories {
    public static let all: [any ChannelAdapterFactory] = []
}
