import PhoneLogAdapter
import SwitchboardAdapterAPI
import TwilioAdapter

/// Twilio's form-encoded webhooks, signed over the public URL and the parsed parameters: SMS/MMS
/// (`twilio-sms`: messages, media, status callbacks) and Programmable Voice call status callbacks
/// (`phone-log` with format twilio-voice).
public enum TwilioHarness: FuzzHarness {
    public static let target = "FuzzTwilio"

    static let adapters = FuzzGateway.adapters(
        """
          - id: sms
            type: twilio-sms
            account_sid: AC78349f4b974f5f6907c513a77d96756d
            auth_token_env: FUZZ_SECRET
            from: "+15005550006"
          - id: voice
            type: phone-log
            format: twilio-voice
            account_sid: AC78349f4b974f5f6907c513a77d96756d
            auth_token_env: FUZZ_SECRET
            country_code: "1"
        """, factories: TwilioAdapterFactories.all + PhoneLogAdapterFactories.all)

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        adapters.map { adapter in FuzzGateway.receive(adapter, SignedRequest.twilio(input, path: "/hooks/\(adapter.id)")) }
    }
}
