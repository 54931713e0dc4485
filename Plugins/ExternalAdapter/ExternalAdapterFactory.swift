import SwitchboardAdapterAPI

/// Builds `type: external` adapters: a process in any language speaking the adapter protocol.
public struct ExternalAdapterFactory: ChannelAdapterFactory {
    /// The factory; it holds nothing.
    public init() {}

    /// `external`.
    public var type: String { "external" }

    /// Reads the settings only: the process starts when the gateway runs the adapter, so
    /// `check-config` starts nothing.
    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        let settings = ExternalSettings(id: id, config: config, parentEnvironment: context.environment)
        return ExternalAdapter(id: id, settings: settings, logger: context.logger, transport: context.transport)
    }
}
