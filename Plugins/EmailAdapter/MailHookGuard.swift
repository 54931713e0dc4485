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
struct MailHookGuard: Sendable {
    static let signatureHeader = "X-Switchboard-Signature"
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
            "this mail hook needs \(Self.signatureHeader): sha256=<HMAC-SHA256 of the body> (switchboard mailgate signs with SWITCHBOARD_MAIL_SECRET) or \(Self.secretHeader)")
    }
}
