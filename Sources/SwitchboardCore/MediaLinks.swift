import Crypto
import Foundation
import SwitchboardAdapterAPI

/// Signed, expiring URLs under the gateway's `public_url` that serve one attachment of one reply to
/// whoever holds the URL: for platforms that fetch the media themselves (Twilio MMS takes a
/// `MediaUrl`). Nothing else can fetch it: the signature is an HMAC-SHA256 under a key derived from
/// the gateway's key over the message, the index and the expiry, checked in constant time.
public struct MediaLinks: Sendable {
    /// The path prefix the gateway serves them under.
    public static let pathPrefix = "/media"

    private let key: [UInt8]
    /// `server.public_url` without a trailing slash.
    public let publicURL: String
    /// How long a URL works after it is made.
    public let lifetime: Duration

    public init(key: GatewayKey, publicURL: String, lifetime: Duration = .seconds(3600)) {
        self.key = key.derivedKey("media-links")
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.lifetime = lifetime
    }

    /// The URL of attachment `index` of message `message`, valid until `now` + ``lifetime``.
    public func url(message: Int64, index: Int, now: Date) -> String {
        let expires = Int64(now.timeIntervalSince1970) + lifetime.components.seconds
        return
            "\(publicURL)\(Self.pathPrefix)/\(message)/\(index)?expires=\(expires)&signature=\(signature(message: message, index: index, expires: expires))"
    }

    /// Whether a URL's parts are ours and not expired at `now`.
    public func verify(message: Int64, index: Int, expires: Int64, signature given: String, now: Date) -> Bool {
        let expected = signature(message: message, index: index, expires: expires)
        // Compared before the expiry, so the answer takes the same time either way.
        let matches = Signatures.constantTimeEquals(expected, given.lowercased())
        return matches && Double(expires) >= now.timeIntervalSince1970
    }

    func signature(message: Int64, index: Int, expires: Int64) -> String {
        Signatures.hex(HMAC<SHA256>.authenticationCode(for: Array("\(message):\(index):\(expires)".utf8), using: SymmetricKey(data: key)))
    }
}
