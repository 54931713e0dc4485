import SwitchboardAdapterAPI

/// Builds `x` adapters. (Placeholder: being written.)
public enum XAdapterFactories {
    public static let all: [any ChannelAdapterFactory] = []
}
