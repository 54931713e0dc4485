import SwitchboardAdapterAPI

/// Requests to `/hooks/{id}` signed as each platform signs them, so the fuzzer's bytes get past the
/// signature check and reach the decoder. All use ``FuzzGateway/secret``.
public enum SignedRequest {
    /// `X-Switchboard-Signature: sha256=<hex HMAC-SHA256>`: the generic webhook, phone-log posts.
    public static func switchboard(_ body: [UInt8], path: String, contentType: String) -> InboundRequest {
        post(
            path, body,
            [
                ("Content-Type", contentType),
                ("X-Switchboard-Signature", "sha256=" + Signatures.hmacSHA256Hex(key: FuzzGateway.secret, body)),
            ])
    }

    /// Meta's `X-Hub-Signature-256` (WhatsApp, Messenger, Instagram).
    public static func meta(_ body: [UInt8], path: String) -> InboundRequest {
        post(
            path, body,
            [
                ("Content-Type", "application/json"),
                ("X-Hub-Signature-256", "sha256=" + Signatures.hmacSHA256Hex(key: FuzzGateway.secret, body)),
            ])
    }

    /// Telegram's `X-Telegram-Bot-Api-Secret-Token`: the secret itself, not a signature.
    public static func telegram(_ body: [UInt8], path: String) -> InboundRequest {
        post(path, body, [("Content-Type", "application/json"), ("X-Telegram-Bot-Api-Secret-Token", FuzzGateway.secret)])
    }

    /// X's `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256>`.
    public static func x(_ body: [UInt8], path: String) -> InboundRequest {
        post(
            path, body,
            [
                ("Content-Type", "application/json"),
                ("x-twitter-webhooks-signature", "sha256=" + Signatures.hmacSHA256Base64(key: FuzzGateway.secret, body)),
            ])
    }

    /// Twilio's `X-Twilio-Signature` over the public URL and the form's parameters, as parsed by
    /// the same form decoder the adapter uses (Twilio signs what it sent; a body that parses
    /// differently elsewhere would only be refused, never reach the decoder).
    public static func twilio(_ body: [UInt8], path: String) -> InboundRequest {
        let url = FuzzGateway.publicURL + path
        let signature = TwilioSignature.compute(url: url, params: FormEncoding.parse(body), authToken: FuzzGateway.secret)
        return post(path, body, [("Content-Type", "application/x-www-form-urlencoded"), (TwilioSignature.header, signature)])
    }

    /// A POST with these headers.
    public static func post(_ path: String, _ body: [UInt8], _ headers: [(name: String, value: String)]) -> InboundRequest {
        InboundRequest(method: "POST", path: path, headers: headers, body: body)
    }
}
