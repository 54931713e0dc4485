import SwitchboardAdapterAPI

/// X's webhook security: the CRC challenge answer and the body signature, both a base64
/// HMAC-SHA256 keyed with the app's consumer secret.
public enum XWebhookSignature {
    /// The header of a delivery's signature.
    public static let header = "x-twitter-webhooks-signature"

    /// `sha256=<base64 HMAC-SHA256(consumer secret, data)>`.
    public static func token(consumerSecret: String, _ data: some Sequence<UInt8>) -> String {
        "sha256=" + Signatures.hmacSHA256Base64(key: consumerSecret, Array(data))
    }

    /// The exact JSON X expects for `GET ?crc_token=…`. Written by hand so that `/` in the
    /// base64 stays unescaped, byte for byte what X's own examples show.
    public static func crcResponse(consumerSecret: String, crcToken: String) -> [UInt8] {
        Array(#"{"response_token":"\#(token(consumerSecret: consumerSecret, Array(crcToken.utf8)))"}"#.utf8)
    }

    /// Checks the signature header of a delivery in constant time.
    public static func isValid(_ signature: String?, body: [UInt8], consumerSecret: String) -> Bool {
        guard let signature = signature?.trimmed, !signature.isEmpty else { return false }
        return Signatures.constantTimeEquals(signature, token(consumerSecret: consumerSecret, body))
    }
}
