import SwitchboardAdapterAPI
import WebhookAdapter

/// The generic JSON webhook: a signed body parsed as JSON (one message or a batch array) and read
/// through the configured JSON pointers, with the defaults and with nested, escaped and array
/// pointers; `sent_at` through the ISO 8601 / epoch parser.
public enum WebhookHarness: FuzzHarness {
    public static let target = "FuzzWebhook"

    static let adapters = FuzzGateway.adapters(
        """
          - id: plain
            type: webhook
            secret_env: FUZZ_SECRET
            outbound: { url: "http://127.0.0.1:9/send" }
          - id: nested
            type: webhook
            secret_env: FUZZ_SECRET
            identity: email
            inbound:
              message_id: /message/id
              customer: /sender/address
              customer_name: /sender/~1name~0
              text: /message/parts/0/text
              sent_at: /message/sent_at
            outbound: { url: "http://127.0.0.1:9/send" }
        """, factories: [WebhookAdapterFactory()])

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        adapters.map { adapter in
            FuzzGateway.receive(adapter, SignedRequest.switchboard(input, path: "/hooks/\(adapter.id)", contentType: "application/json"))
        }
    }
}
