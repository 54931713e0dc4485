import SwitchboardAdapterAPI

/// How a phone line places a call-back: the `originate:` section.
public struct OriginateSettings: Sendable {
    /// Which API the endpoint speaks.
    public enum Style: String, Sendable, CaseIterable {
        /// Asterisk ARI `POST /ari/channels` (the customer's endpoint, then a dialplan extension).
        case ari
        /// Twilio's Calls API (`…/Accounts/{sid}/Calls.json`).
        case twilio
        /// A JSON request to a PBX bridge of your own.
        case json
    }

    public var style: Style
    public var url: String
    /// ARI: `user:password` (HTTP Basic); json: a Bearer token; twilio: the auth token (HTTP Basic with the account SID).
    public var token: String?
    /// The number shown to the customer (ARI `callerId`, Twilio `From`).
    public var callerID: String?
    /// ARI: the customer's endpoint, `{number}` replaced (`PJSIP/{number}@trunk`).
    public var endpoint: String
    /// ARI: where the answered call continues in the dialplan.
    public var context: String
    public var extensionName: String?
    /// Twilio: the TwiML URL Twilio fetches when the customer answers.
    public var callURL: String?
    public var accountSID: String?
    public var timeout: Duration

    public init(
        style: Style = .json, url: String, token: String? = nil, callerID: String? = nil, endpoint: String = "PJSIP/{number}",
        context: String = "default", extensionName: String? = nil, callURL: String? = nil, accountSID: String? = nil,
        timeout: Duration = .seconds(15)
    ) {
        self.style = style
        self.url = url
        self.token = token
        self.callerID = callerID
        self.endpoint = endpoint
        self.context = context
        self.extensionName = extensionName
        self.callURL = callURL
        self.accountSID = accountSID
        self.timeout = timeout
    }

    init(config: ConfigSection, accountSID: String?, authToken: String?) {
        style = config.choice("style", Style.allCases.map(\.rawValue), default: "json").flatMap(Style.init(rawValue:)) ?? .json
        self.accountSID = accountSID
        var url = config.string("url")?.trimmed ?? ""
        if url.isEmpty, style == .twilio, let accountSID {
            url = "https://api.twilio.com/2010-04-01/Accounts/\(accountSID)/Calls.json"
        }
        if url.isEmpty {
            config.problem(nil, "missing required key 'url' (where call-backs are requested)")
        } else if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            config.problem("url", "'\(url)' is not an http:// or https:// URL")
        }
        self.url = url
        token = config.has("token_env") ? config.secret("token_env") : (style == .twilio ? authToken : nil)
        callerID = config.string("caller_id")?.trimmed
        endpoint = config.string("endpoint") ?? "PJSIP/{number}"
        if !endpoint.contains("{number}") { config.problem("endpoint", "'\(endpoint)' must contain {number}") }
        context = config.string("context") ?? "default"
        extensionName = config.string("extension")
        callURL = config.string("call_url")?.trimmed
        timeout = config.duration("timeout", default: .seconds(15)) ?? .seconds(15)
        switch style {
        case .ari:
            if token == nil { config.problem(nil, "style ari needs 'token_env' (an environment variable holding user:password)") }
            if extensionName == nil { config.problem(nil, "style ari needs 'extension' (where the answered call goes, e.g. a queue)") }
        case .twilio:
            if accountSID == nil { config.problem(nil, "style twilio needs the adapter's 'account_sid'") }
            if token == nil { config.problem(nil, "style twilio needs 'auth_token_env' on the adapter (or 'token_env' here)") }
            if callerID == nil { config.problem(nil, "style twilio needs 'caller_id' (your Twilio number, the call's From)") }
            if callURL == nil { config.problem(nil, "style twilio needs 'call_url' (the TwiML that connects the answered call)") }
        case .json:
            break
        }
        config.finish()
    }
}
