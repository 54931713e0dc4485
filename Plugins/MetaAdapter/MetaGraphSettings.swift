import SwitchboardAdapterAPI

/// The settings every Meta adapter shares: where the Graph API is, and the three secrets (read
/// from the environment variables the `*_env` keys name).
///
/// The secrets are internal and left out of `description`, so logging the settings never prints
/// them.
public struct MetaGraphSettings: Sendable, CustomStringConvertible {
    public static let defaultAPIBase = "https://graph.facebook.com"
    public static let defaultAPIVersion = "v21.0"

    /// `api_base`, without a trailing slash.
    public var apiBase: String
    /// `api_version`, e.g. `v21.0`.
    public var apiVersion: String
    let accessToken: String
    let appSecret: HMACKey?
    let verifyToken: String?

    /// Reads `api_base`, `api_version`, `access_token_env`, `app_secret_env` and `verify_token_env`;
    /// problems go to the section's diagnostics.
    public init(config: ConfigSection) {
        var base = config.string("api_base") ?? Self.defaultAPIBase
        while base.hasSuffix("/") { base.removeLast() }
        if !(base.hasPrefix("https://") || base.hasPrefix("http://")) {
            config.problem("api_base", "'\(base)' is not an http:// or https:// URL")
        }
        apiBase = base
        var version = config.string("api_version") ?? Self.defaultAPIVersion
        version = version.trimmed.trimmingSlashes
        if !Self.isVersion(version) {
            config.problem("api_version", "'\(version)' is not a Graph API version such as \(Self.defaultAPIVersion)")
        }
        apiVersion = version
        // All three are required: without the app secret nothing could be verified, without the
        // verify token Meta cannot subscribe the hook, and without the token nothing can be sent.
        accessToken = config.secret("access_token_env", required: true) ?? ""
        appSecret = config.secret("app_secret_env", required: true).map(HMACKey.init)
        verifyToken = config.secret("verify_token_env", required: true)
    }

    /// `POST {api_base}/{api_version}/{node}/messages`, the send endpoint of every Meta channel.
    func messagesURL(node: String) -> String {
        "\(apiBase)/\(apiVersion)/\(node)/messages"
    }

    /// `POST {api_base}/{api_version}/{node}/media`, where WhatsApp takes a file to send.
    func mediaURL(node: String) -> String {
        "\(apiBase)/\(apiVersion)/\(node)/media"
    }

    public var description: String {
        "MetaGraphSettings(apiBase: \(apiBase), apiVersion: \(apiVersion), secrets: redacted)"
    }

    /// `v21.0` or `v21`.
    static func isVersion(_ text: String) -> Bool {
        guard text.hasPrefix("v") else { return false }
        let parts = text.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }

    /// Whether `value` can be a path segment of a Graph URL (a media id, a node id).
    static func isNodeID(_ value: String) -> Bool {
        !value.isEmpty && !value.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == "%" || $0.isWhitespace })
    }

    /// Reports an id that cannot be a path segment of a Graph URL (`phone_number_id`, `page_id`).
    static func checkNodeID(_ value: String?, key: String, in config: ConfigSection) {
        guard let value else { return }
        if value.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0.isWhitespace }) {
            config.problem(key, "'\(value)' is not a Graph API id (no '/', '?', '#' or spaces)")
        }
    }
}

extension String {
    fileprivate var trimmingSlashes: String {
        var s = Substring(self)
        while s.hasPrefix("/") { s = s.dropFirst() }
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}
