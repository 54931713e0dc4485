import SwitchboardAdapterAPI

/// A `telegram` adapter's configuration, read from its section of the config file.
public struct TelegramSettings: Sendable {
    /// Where the Bot API lives; a local Bot API server or a test double may replace it.
    public var apiBase: String
    /// The bot token from BotFather. It appears in request URLs, so it is never logged.
    public var botToken: String
    /// The `secret_token` given to `setWebhook`; Telegram echoes it in every request.
    public var secretToken: String
    /// How long one Bot API call may take.
    public var timeout: Duration

    /// Settings given directly (tests, embedding).
    public init(apiBase: String = "https://api.telegram.org", botToken: String, secretToken: String, timeout: Duration = .seconds(15)) {
        self.apiBase = apiBase
        self.botToken = botToken
        self.secretToken = secretToken
        self.timeout = timeout
    }

    /// Reads and validates the section; problems go to the section's diagnostics.
    public init(config: ConfigSection) {
        apiBase = ConfigURL.read(config, "api_base", default: "https://api.telegram.org")
        botToken = config.secret("bot_token_env", required: true) ?? ""
        // The token becomes part of a URL path: anything outside BotFather's alphabet is a paste error.
        if !botToken.isEmpty, !botToken.unicodeScalars.allSatisfy(Self.isTokenCharacter) {
            config.problem(
                "bot_token_env", "the bot token contains characters a BotFather token never has (expected '<digits>:<letters, digits, _ or ->')")
        }
        // Without the secret anyone who learns the hook URL could inject customer messages.
        secretToken = config.secret("secret_token_env", required: true) ?? ""
        if !secretToken.isEmpty, !(1...256).contains(secretToken.count) || !secretToken.unicodeScalars.allSatisfy(Self.isSecretCharacter) {
            config.problem("secret_token_env", "Telegram accepts a secret_token of 1–256 characters A–Z, a–z, 0–9, '_' or '-' only")
        }
        timeout = .seconds(15)
    }

    private static func isSecretCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-")
    }

    private static func isTokenCharacter(_ c: Unicode.Scalar) -> Bool {
        isSecretCharacter(c) || c == ":"
    }
}

/// Reads an `http(s)://` base URL without its trailing slash.
enum ConfigURL {
    static func read(_ config: ConfigSection, _ key: String, default value: String) -> String {
        guard let url = config.string(key)?.trimmed, !url.isEmpty else { return value }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            config.problem(key, "'\(url)' is not an http:// or https:// URL")
            return value
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
