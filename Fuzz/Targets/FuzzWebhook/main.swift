import SwitchboardAdapterAPI
import SwitchboardFuzzSupport
import WebhookAdapter

// The generic JSON webhook: a signed body parsed as JSON (one message or a batch array) and read
// through the configured JSON pointers, with the defaults and with nested, escaped and array
// pointers; `sent_at` through the ISO 8601 / epoch parser.

enum Target {
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
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = FuzzDriver.bytes(data, size)
    for adapter in Target.adapters {
        FuzzGateway.receive(adapter, SignedRequest.switchboard(body, path: "/hooks/\(adapter.id)", contentType: "application/json"))
    }
    return 0
}

FuzzDriver.run(testOneInput)
