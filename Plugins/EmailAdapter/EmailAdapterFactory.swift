import SwitchboardAdapterAPI

/// Builds `type: email` adapters.
public struct EmailAdapterFactory: ChannelAdapterFactory {
    /// A factory; it holds nothing.
    public init() {}

    /// `type: email` in the configuration.
    public var type: String { "email" }

    /// Reads `address`, `name`, `smtp`, `imap`, `html_replies`, `attachments`, `secret_env` or
    /// `open`, `authentication` and `lmtp` (see ``EmailSettings``); `imap`/`smtp` may log in with
    /// OAuth2 (``OAuth2Settings``).
    public func makeAdapter(id: String, config: ConfigSection, context: AdapterContext) throws -> any ChannelAdapter {
        let settings = EmailSettings(config: config)
        if context.mail == nil {
            config.problem(nil, "this build of the gateway has no mail transport (SMTP/IMAP), so an email adapter cannot run")
        }
        return EmailAdapter(
            id: id, settings: settings, mail: context.mail, logger: context.logger, http: context.transport, values: context.values)
    }
}

/// The e-mail adapter types this plugin ships, for the executable's adapter catalog.
public enum EmailAdapterFactories {
    /// Every factory of this plugin.
    public static let all: [any ChannelAdapterFactory] = [EmailAdapterFactory()]
}
