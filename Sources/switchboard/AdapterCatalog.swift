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

/// The adapter types this build knows. The one place that names concrete adapters: adding a
/// channel is a new target under Plugins/ and one line here.
enum AdapterCatalog {
    static let factories: [any ChannelAdapterFactory] =
        [WebhookAdapterFactory()]
        + MetaAdapterFactories.all
        + TelegramAdapterFactories.all
        + XAdapterFactories.all
        + TwilioAdapterFactories.all
        + [ExternalAdapterFactory()]
        + EmailAdapterFactories.all
        + PhoneLogAdapterFactories.all

    /// Context provider types, added the same way.
    static let contextProviders: [any ContextProviderFactory] = [HTTPContextProviderFactory()]
}
