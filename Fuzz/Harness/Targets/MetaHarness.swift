import MetaAdapter
import SwitchboardAdapterAPI

/// Meta's webhooks: WhatsApp Cloud API, Messenger and Instagram, each a signed JSON body
/// (`entry[].changes[]` / `entry[].messaging[]`), and the subscription handshake's challenge.
public enum MetaHarness: FuzzHarness {
    public static let target = "FuzzMeta"

    static let adapters = FuzzGateway.adapters(
        """
          - id: wa
            type: whatsapp
            phone_number_id: "1122334455667"
            access_token_env: FUZZ_TOKEN
            app_secret_env: FUZZ_SECRET
            verify_token_env: FUZZ_VERIFY
          - id: fb
            type: messenger
            page_id: "106000000000001"
            access_token_env: FUZZ_TOKEN
            app_secret_env: FUZZ_SECRET
            verify_token_env: FUZZ_VERIFY
          - id: ig
            type: instagram
            page_id: "17841400000000001"
            access_token_env: FUZZ_TOKEN
            app_secret_env: FUZZ_SECRET
            verify_token_env: FUZZ_VERIFY
        """, factories: MetaAdapterFactories.all)

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        var outcomes = adapters.map { adapter in FuzzGateway.receive(adapter, SignedRequest.meta(input, path: "/hooks/\(adapter.id)")) }
        // The handshake echoes the challenge: any bytes, as the query decoder left them.
        let challenge = String(decoding: input, as: UTF8.self)
        let query = ["hub.mode": "subscribe", "hub.verify_token": FuzzGateway.secret, "hub.challenge": challenge]
        outcomes.append(FuzzGateway.receive(adapters[0], InboundRequest(method: "GET", path: "/hooks/wa", query: query)))
        return outcomes
    }
}
