import MetaAdapter
import PhoneLogAdapter
import SwitchboardAdapterAPI
import TelegramAdapter
import TwilioAdapter
import WebhookAdapter
import XAdapter

/// What a platform's API answers a delivery: status, headers (Retry-After, rate-limit resets) and body
/// (message ids, error codes, Telegram's migrations) as each adapter's `deliver` reads them. Outside
/// bytes too: a rate-limit header must not take the gateway down with the reply. The input is
/// `STATUS\nName: value\n…\n\nBODY` (see HTTPResponse.fuzzed).
public enum PlatformAnswersHarness: FuzzHarness {
    public static let target = "FuzzPlatformAnswers"

    static let transport = ScriptedTransport()
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
          - id: tg
            type: telegram
            bot_token_env: FUZZ_TOKEN
            secret_token_env: FUZZ_SECRET
          - id: x
            type: x
            user_id: "2975699229"
            consumer_secret_env: FUZZ_SECRET
            access_token_env: FUZZ_TOKEN
          - id: sms
            type: twilio-sms
            account_sid: AC78349f4b974f5f6907c513a77d96756d
            auth_token_env: FUZZ_SECRET
            from: "+15005550006"
          - id: shop
            type: webhook
            secret_env: FUZZ_SECRET
            outbound: { url: "http://127.0.0.1:9/send" }
          - id: pbx
            type: phone-log
            format: asterisk-cdr
            secret_env: FUZZ_SECRET
            originate: { style: ari, url: "http://127.0.0.1:8088/ari", token_env: FUZZ_ARI, extension: s, context: support }
          - id: voice
            type: phone-log
            format: twilio-voice
            account_sid: AC78349f4b974f5f6907c513a77d96756d
            auth_token_env: FUZZ_SECRET
            originate: { style: twilio, url: "https://api.twilio.com", caller_id: "+15005550006", call_url: "https://switchboard.example.com/twiml" }
          - id: bridge
            type: phone-log
            format: json
            secret_env: FUZZ_SECRET
            originate: { style: json, url: "http://127.0.0.1:9/call", token_env: FUZZ_BRIDGE }
        """,
        factories: MetaAdapterFactories.all + TelegramAdapterFactories.all + XAdapterFactories.all
            + TwilioAdapterFactories.all + [WebhookAdapterFactory()] + PhoneLogAdapterFactories.all,
        transport: transport)

    /// Whom each adapter writes to: an address of its channel.
    static func recipient(_ adapter: any ChannelAdapter) -> String {
        switch adapter.id {
        case "wa": "34600111222"
        case "fb", "ig": "2400000000000001"
        case "tg": "123456789"
        case "x": "1234567"
        case "shop": "alice@example.com"
        default: "+34600111222"
        }
    }

    /// One answer at a time (the transport holds one): libFuzzer runs inputs one after another,
    /// and the seed replay test runs this harness's seeds in order.
    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        transport.set(HTTPResponse.fuzzed(input))
        return adapters.map { adapter in
            let reply = OutboundMessage(
                id: 7, conversationID: 3, to: recipient(adapter), text: "On it!", inReplyTo: "m-1", attempt: 1, tag: "fuzz")
            return FuzzGateway.deliver(reply, through: adapter)
        }
    }
}
