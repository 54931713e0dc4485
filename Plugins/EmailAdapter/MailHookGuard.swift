import SwitchboardAdapterAPI

/// Who may post mail to `/hooks/{id}`, and in what form.
///
/// Only `message/rfc822`: a web page on another origin can make a browser post `text/plain` (or a
/// form) without a CORS preflight, but not `message/rfc822`, so the type keeps such pages out even
/// of an open hook. With a secret (`secret_env`), the sender proves it either way the mailgate and
/// other tools find easy: an HMAC-SHA256 of the body in `X-Switchboard-Signature: sha256=<hex>`
/// (what `switchboard mailgate` sends: the secret never travels), or the secret itself in
/// `X-Switchboard-Secret` (for senders that can add a fixed header but not sign). Both are checked
/// in constant time.
///
/// The envelope an MTA passes to the mailgate (`--sender`, `--recipient`) travels in
/// `X-Switchboard-Envelope-From` and `X-Switchboard-Envelope-To`. A signed post signs them too,
/// bound to the body: `X-Switchboard-Envelope-Signature: sha256=<hex HMAC-SHA256 of FROM LF TO LF
/// BODY-SIGNATURE-HEX>` (the header values as sent, empty when absent), so they can no more be
/// changed on the way than the body.
struct MailHookGuard: Sendable {
    static let signatureHeader = "X-Switchboard-Signature"
    static let envelopeFromHeader = "X-Switchboard-Envelope-From"
    static let envelopeToHeader = "X-Switchboard-Envelope-To"
    static let envelopeSignatureHeader = "X-Switchboard-Envelope-Signature"
    static let secretHeader = "X-Switchboard-Secret"
    static let mediaType = "message/rfc822"

    let access: HookAccess
    private let key: HMACKey?
    /// The secret's HMAC under itself: a given secret is compared by its HMAC, so the comparison
    /// takes the same time whatever its length.
    private let secretDigest: String?

    init(_ access: HookAccess) {
        self.access = access
        let key = access.secret.map(HMACKey.init)
        self.key = key
        secretDigest = access.secret.flatMap { secret in key?.sha256Hex(Array(secret.utf8)) }
    }

    /// Throws 415 for another media type, 401 when the secret is not proven.
    func check(_ request: InboundRequest) throws(InboundError) {
        guard let type = request.mediaType, type == Self.mediaType else {
            let given = request.mediaType.map { "'\($0.prefix(100))'" } ?? "no Content-Type"
            throw .unsupportedMediaType("this hook takes one raw RFC 5322 message as Content-Type: \(Self.mediaType), not \(given)")
        }
        guard let key, let secretDigest else { return }
        if let signature = request.header(Self.signatureHeader) {
            guard key.verifySHA256Hex(body: request.body, signature: signature, prefix: "sha256=") else {
                throw .unauthorized("\(Self.signatureHeader) is not the HMAC-SHA256 of the body with this adapter's secret")
            }
            return
        }
        if let given = request.header(Self.secretHeader) {
            guard Signatures.constantTimeEquals(key.sha256Hex(Array(given.trimmed.utf8)), secretDigest) else {
                throw .unauthorized("\(Self.secretHeader) is not this adapter's secret")
            }
            return
        }
        throw .unauthorized(
            "this mail hook needs \(Self.signatureHeader): sha256=<HMAC-SHA256 of the body> (switchboard mailgate signs with SWITCHBOARD_MAIL_SECRET) or \(Self.secretHeader)"
        )
    }

    /// The envelope the post carries, once ``check(_:)`` passed; nil when it carries none.
    func envelope(_ request: InboundRequest) throws(InboundError) -> MailEnvelope? {
        let from = request.header(Self.envelopeFromHeader)?.trimmed
        let to = request.header(Self.envelopeToHeader)?.trimmed
        guard from != nil || to != nil else { return nil }
        if let key, let bodySignature = request.header(Self.signatureHeader) {
            let signed = (from ?? "") + "\n" + (to ?? "") + "\n" + Self.hex(of: bodySignature)
            guard key.verifySHA256Hex(body: Array(signed.utf8), signature: request.header(Self.envelopeSignatureHeader), prefix: "sha256=") else {
                throw .unauthorized(
                    "\(Self.envelopeFromHeader)/\(Self.envelopeToHeader) need \(Self.envelopeSignatureHeader): sha256=<HMAC-SHA256 of FROM LF TO LF BODY-SIGNATURE-HEX>"
                )
            }
        }
        return MailEnvelope(
            sender: from.map(Self.sender),
            recipients: (to ?? "").split(separator: ",").map { MessageIDs.bare(String($0)) }.filter { !$0.isEmpty })
    }

    /// The signature's hex digits, without `sha256=`, lower-cased.
    static func hex(of signature: String) -> String {
        let value = signature.trimmed.lowercased()
        return value.hasPrefix("sha256=") ? String(value.dropFirst("sha256=".count)) : value
    }

    /// The envelope sender as MTAs pass it: `<>`, empty or Postfix's `MAILER-DAEMON` (its `${sender}`
    /// of a bounce) are the null sender.
    static func sender(_ value: String) -> String {
        let bare = MessageIDs.bare(value)
        return bare.isEmpty || bare.lowercased() == "mailer-daemon" ? MailEnvelope.nullSender : bare
    }
}
