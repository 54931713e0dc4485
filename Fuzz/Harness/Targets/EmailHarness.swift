import EmailAdapter
import SwitchboardAdapterAPI

/// Raw RFC 5322 mail as the mail hook receives it (the mailgate and IMAP polling decode the same
/// way): GMime's parse, the part walk, charsets and encoded words, HTML to text, quote and
/// signature stripping, automated-mail detection, delivery reports.
public enum EmailHarness: FuzzHarness {
    public static let target = "FuzzEmail"

    /// With the hook's shared secret (requests carry its X-Switchboard-Signature); a build whose mail
    /// hook takes no secret yet does not know the key, and gets the second form.
    static let adapter = FuzzGateway.adapters(
        firstAccepted: [
            """
              - id: mail
                type: email
                address: support@example.com
                secret_env: FUZZ_SECRET
                smtp: { url: "smtp://127.0.0.1:2525" }
            """,
            """
              - id: mail
                type: email
                address: support@example.com
                smtp: { url: "smtp://127.0.0.1:2525" }
            """,
        ], factories: EmailAdapterFactories.all)[0]

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        [FuzzGateway.receive(adapter, SignedRequest.switchboard(input, path: "/hooks/mail", contentType: "message/rfc822"))]
    }
}
