import SwitchboardAdapterAPI
import TelegramAdapter

/// Telegram Bot API updates (message, edited_message, channel posts, media, entities), posted with
/// the webhook's secret token.
public enum TelegramHarness: FuzzHarness {
    public static let target = "FuzzTelegram"

    static let adapter = FuzzGateway.adapters(
        """
          - id: tg
            type: telegram
            bot_token_env: FUZZ_TOKEN
            secret_token_env: FUZZ_SECRET
        """, factories: TelegramAdapterFactories.all)[0]

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        [FuzzGateway.receive(adapter, SignedRequest.telegram(input, path: "/hooks/tg"))]
    }
}
