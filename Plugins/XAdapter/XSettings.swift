import SwitchboardAdapterAPI

/// An `x` adapter's configuration, read from its section of the config file.
public struct XSettings: Sendable {
    /// Where the X API lives; a test double may replace it.
    public var apiBase: String
    /// Our account's numeric id: events it sent itself are not customer messages.
    public var userID: String
    /// The app's consumer secret: it signs CRC answers and every webhook delivery.
    public var consumerSecret: String
    /// An OAuth 2.0 user-context access token of our account, for sending.
    public var accessToken: String
    /// Whether agents may answer public mentions with a public reply.
    public var publicReplies: Bool
    /// How long one API call may take.
    public var timeout: Duration

    /// Settings given directly (tests, embedding).
    public init(
        apiBase: String = "https://api.x.com", userID: String, consumerSecret: String, accessToken: String,
        publicReplies: Bool = false, timeout: Duration = .seconds(15)
    ) {
        self.apiBase = apiBase
        self.userID = userID
        self.consumerSecret = consumerSecret
        self.accessToken = accessToken
        self.publicReplies = publicReplies
        self.timeout = timeout
    }

    /// Reads and validates the section; problems go to the section's diagnostics.
    public init(config: ConfigSection) {
        apiBase = XConfigURL.read(config, "api_base", default: "https://api.x.com")
        userID = config.requiredString("user_id")?.trimmed ?? ""
        if !userID.isEmpty, !userID.allSatisfy(\.isASCIIDigit) {
            config.problem("user_id", "'\(userID)' is not a numeric X account id (the id, not the @handle)")
        }
        consumerSecret = config.secret("consumer_secret_env", required: true) ?? ""
        accessToken = config.secret("access_token_env", required: true) ?? ""
        publicReplies = config.bool("public_replies", default: false)
        timeout = .seconds(15)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Reads an `http(s)://` base URL without its trailing slash.
enum XConfigURL {
    static func read(_ config: ConfigSection, _ key: String, default value: String) -> String {
        guard let url = config.string(key)?.trimmed, !url.isEmpty else { return value }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            config.problem(key, "'\(url)' is not an http:// or https:// URL")
            return value
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
