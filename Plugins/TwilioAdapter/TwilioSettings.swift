import SwitchboardAdapterAPI

/// A `twilio-sms` adapter's configuration, read from its section of the config file.
public struct TwilioSettings: Sendable {
    /// Where Twilio's REST API lives; a test double may replace it.
    public var apiBase: String
    /// The account (`AC…`) that sends and whose API URL is used.
    public var accountSID: String
    /// Signs Twilio's webhooks and authenticates our API calls (HTTP Basic with the account SID).
    public var authToken: String
    /// Our number in E.164, the sender of every reply.
    public var from: String
    /// How long one API call may take.
    public var timeout: Duration

    /// Settings given directly (tests, embedding).
    public init(
        apiBase: String = "https://api.twilio.com", accountSID: String, authToken: String, from: String,
        timeout: Duration = .seconds(15)
    ) {
        self.apiBase = apiBase
        self.accountSID = accountSID
        self.authToken = authToken
        self.from = from
        self.timeout = timeout
    }

    /// Reads and validates the section; problems go to the section's diagnostics.
    public init(config: ConfigSection) {
        if let url = config.string("api_base")?.trimmed, !url.isEmpty {
            if url.hasPrefix("http://") || url.hasPrefix("https://") {
                apiBase = url.hasSuffix("/") ? String(url.dropLast()) : url
            } else {
                config.problem("api_base", "'\(url)' is not an http:// or https:// URL")
                apiBase = "https://api.twilio.com"
            }
        } else {
            apiBase = "https://api.twilio.com"
        }
        accountSID = config.requiredString("account_sid")?.trimmed ?? ""
        if !accountSID.isEmpty, !accountSID.hasPrefix("AC") {
            config.problem("account_sid", "'\(accountSID)' is not an account SID (they start with AC)")
        }
        authToken = config.secret("auth_token_env", required: true) ?? ""
        from = config.requiredString("from")?.trimmed ?? ""
        if !from.isEmpty, !Self.isE164(from) {
            config.problem("from", "'\(from)' is not an E.164 number like +14155550100")
        }
        timeout = .seconds(15)
    }

    static func isE164(_ number: String) -> Bool {
        let digits = number.dropFirst()
        return number.hasPrefix("+") && (8...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
