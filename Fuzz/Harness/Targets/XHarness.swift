import SwitchboardAdapterAPI
import XAdapter

/// X's Account Activity webhooks: signed JSON (direct messages, their media and URL entities,
/// mentions), and the CRC check's token.
public enum XHarness: FuzzHarness {
    public static let target = "FuzzX"

    static let adapter = FuzzGateway.adapters(
        """
          - id: x
            type: x
            user_id: "2975699229"
            consumer_secret_env: FUZZ_SECRET
            access_token_env: FUZZ_TOKEN
        """, factories: XAdapterFactories.all)[0]

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        let token = String(decoding: input, as: UTF8.self)
        return [
            FuzzGateway.receive(adapter, SignedRequest.x(input, path: "/hooks/x")),
            FuzzGateway.receive(adapter, InboundRequest(method: "GET", path: "/hooks/x", query: ["crc_token": token])),
        ]
    }
}
