import Foundation
import SwitchboardAdapterAPI

/// Meta's webhook signature (WhatsApp, Messenger, Instagram): the header
/// `X-Hub-Signature-256: sha256=<lower-case hex HMAC-SHA256(app secret, raw body)>`.
public enum MetaSignature {
    /// The header Meta signs every webhook POST with.
    public static let header = "X-Hub-Signature-256"

    /// The header value Meta would send for `body`; for tests and tools that post like Meta.
    public static func sign(_ body: some DataProtocol, secret: String) -> String {
        "sha256=" + Signatures.hmacSHA256Hex(key: secret, body)
    }

    /// Checks the signature over the raw bytes, before anything parses them: Meta signs the body
    /// exactly as sent (non-ASCII as `\uXXXX` escapes), so re-serialised JSON would not match.
    /// The comparison is constant-time. The legacy SHA-1 `X-Hub-Signature` is not accepted on its
    /// own: Meta always sends the SHA-256 header as well.
    static func verify(_ request: InboundRequest, key: HMACKey?) throws(InboundError) {
        guard let key else {
            // Only reachable with a configuration the loader already rejected; refuse rather than
            // accept unsigned input.
            throw .unauthorized("no app secret is configured for this adapter")
        }
        guard let signature = request.header(header) else {
            throw .unauthorized("missing \(header) header")
        }
        guard key.verifySHA256Hex(body: request.body, signature: signature, prefix: "sha256=") else {
            throw .unauthorized("\(header) does not match the body")
        }
    }
}
