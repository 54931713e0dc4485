import SwitchboardAdapterAPI
import SwitchboardFuzzSupport
import TelegramAdapter

// Telegram Bot API updates (message, edited_message, channel posts, media, entities), posted with
// the webhook's secret token.

enum Target {
    static let adapter = FuzzGateway.adapters(
        """
          - id: tg
            type: telegram
            bot_token_env: FUZZ_TOKEN
            secret_token_env: FUZZ_SECRET
        """, factories: TelegramAdapterFactories.all)[0]
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzGateway.receive(Target.adapter, SignedRequest.telegram(FuzzDriver.bytes(data, size), path: "/hooks/tg"))
    return 0
}

FuzzDriver.run(testOneInput)
