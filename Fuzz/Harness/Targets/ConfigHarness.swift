import EmailAdapter
import ExternalAdapter
import HTTPContextProvider
import MetaAdapter
import PhoneLogAdapter
import SwitchboardAdapterAPI
import TelegramAdapter
import TwilioAdapter
import WebhookAdapter
import XAdapter

/// The configuration loader as `check-config` and `serve` run it: YAML with line numbers, every
/// section typed, durations, sizes, schedules, time zones, and every adapter factory's and context
/// provider's own settings. Every `*_env` variable is set, so the secrets' checks pass and the
/// loader goes on to build the adapters.
public enum ConfigHarness: FuzzHarness {
    public static let target = "FuzzConfig"

    /// The same catalog as the executable's (Sources/switchboard/AdapterCatalog.swift).
    static let factories: [any ChannelAdapterFactory] =
        [WebhookAdapterFactory()] + MetaAdapterFactories.all + TelegramAdapterFactories.all + XAdapterFactories.all
        + TwilioAdapterFactories.all + [ExternalAdapterFactory()] + EmailAdapterFactories.all + PhoneLogAdapterFactories.all
    static let providers: [any ContextProviderFactory] = [HTTPContextProviderFactory()]

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        [FuzzGateway.load(configText: input, factories: factories, providers: providers)]
    }
}
