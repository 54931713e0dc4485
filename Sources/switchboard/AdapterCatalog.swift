import SwitchboardAdapterAPI
import WebhookAdapter

/// The adapter types this build knows. The one place that names concrete adapters: adding a
/// channel is a new target under Plugins/ and one line here.
enum AdapterCatalog {
    static let factories: [any ChannelAdapterFactory] = [
        WebhookAdapterFactory(),
    ]
}
