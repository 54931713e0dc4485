import SwitchboardAdapterAPI
import SwitchboardFuzzSupport
import XAdapter

// X's Account Activity webhooks: signed JSON (direct messages, their media and URL entities,
// mentions), and the CRC check's token.

enum Target {
    static let adapter = FuzzGateway.adapters(
        """
          - id: x
            type: x
            user_id: "2975699229"
            consumer_secret_env: FUZZ_SECRET
            access_token_env: FUZZ_TOKEN
        """, factories: XAdapterFactories.all)[0]
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = FuzzDriver.bytes(data, size)
    FuzzGateway.receive(Target.adapter, SignedRequest.x(body, path: "/hooks/x"))
    let token = String(decoding: body, as: UTF8.self)
    FuzzGateway.receive(Target.adapter, InboundRequest(method: "GET", path: "/hooks/x", query: ["crc_token": token]))
    return 0
}

FuzzDriver.run(testOneInput)
