import Foundation
import SwitchboardAdapterAPI

/// A `phone-log` adapter's configuration, read from its section of the config file.
public struct PhoneLogSettings: Sendable {
    /// What the PBX posts to the hook.
    public enum Format: String, Sendable, CaseIterable {
        /// Asterisk `Master.csv` rows (`text/csv`).
        case asteriskCDR = "asterisk-cdr"
        /// Twilio Programmable Voice status callbacks (form-encoded, signed).
        case twilioVoice = "twilio-voice"
        /// One JSON object per call, or an array of them, read through JSON pointers.
        case json
    }

    public var format: Format
    public var numbers: PhoneNumberPlan
    /// Reads `asterisk-cdr` bodies (layout, time zone, recording links).
    public var cdr: AsteriskCDRDecoder
    /// Where the fields of a `json` call event are.
    public var json: JSONCallMap
    /// Twilio's account (`AC…`), for `twilio-voice` and Twilio call-backs.
    public var accountSID: String?
    /// Signs Twilio's callbacks and authenticates calls to its API.
    public var authToken: String?
    /// HMAC-SHA256 over the body of `asterisk-cdr` and `json` posts (`X-Switchboard-Signature`):
    /// required unless `open: true` (call records create customers, so the hook is never open by
    /// omission). `twilio-voice` is signed with the account's auth token instead.
    public var secret: HMACKey?
    /// A `watch`ed CDR file with neither `secret_env` nor `open: true`: the hook refuses every post
    /// (403), since nothing was said about who may post.
    public var hookClosed: Bool
    /// How replies (call-backs) are placed; nil: this line cannot place calls.
    public var originate: OriginateSettings?
    /// A CDR file the gateway tails itself (`watch:`), instead of or besides the PBX posting rows.
    public var watch: CDRWatch?

    /// `watch: /var/log/asterisk/cdr-csv/Master.csv` and `poll: 2s`: the file is read on the elected
    /// gateway every `poll`.
    public struct CDRWatch: Sendable {
        public var path: String
        public var poll: Duration

        public init(path: String, poll: Duration = .seconds(2)) {
            self.path = path
            self.poll = poll
        }
    }

    /// Settings given directly (tests, embedding).
    public init(
        format: Format, numbers: PhoneNumberPlan = PhoneNumberPlan(), cdr: AsteriskCDRDecoder = AsteriskCDRDecoder(),
        json: JSONCallMap = JSONCallMap(), accountSID: String? = nil, authToken: String? = nil, secret: HMACKey? = nil,
        originate: OriginateSettings? = nil, watch: CDRWatch? = nil, hookClosed: Bool = false
    ) {
        self.hookClosed = hookClosed
        self.format = format
        self.numbers = numbers
        self.cdr = cdr
        self.json = json
        self.accountSID = accountSID
        self.authToken = authToken
        self.secret = secret
        self.originate = originate
        self.watch = watch
    }

    /// Reads and validates the section; problems go to the section's diagnostics.
    public init(config: ConfigSection) {
        let formats = Format.allCases.map(\.rawValue)
        if !config.has("format") { config.problem(nil, "missing required key 'format' (one of \(formats.joined(separator: ", ")))") }
        format = config.choice("format", formats).flatMap(Format.init(rawValue:)) ?? .asteriskCDR

        var countryCode = config.string("country_code")?.trimmed
        if let cc = countryCode {
            let digits = cc.hasPrefix("+") ? String(cc.dropFirst()) : cc
            if !(1...3).contains(digits.count) || !digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                config.problem("country_code", "'\(cc)' is not a country calling code like 34 or 1")
                countryCode = nil
            } else {
                countryCode = digits
            }
        }
        let trunk = config.string("trunk_prefix")?.trimmed
        if let trunk, !trunk.allSatisfy({ $0.isASCII && $0.isNumber }) {
            config.problem("trunk_prefix", "'\(trunk)' is not a digit prefix like 0")
        }
        numbers = PhoneNumberPlan(
            countryCode: countryCode, trunkPrefix: trunk,
            maxExtensionLength: config.int("max_extension_length", default: 5, range: 1...9) ?? 5)

        let watching = format == .asteriskCDR && config.has("watch")
        if format == .twilioVoice {
            secret = nil
            hookClosed = false
        } else if watching, !config.has("secret_env"), !config.has("open") {
            // Rows come from the watched file; nobody needs the hook, so it stays shut.
            secret = nil
            hookClosed = true
        } else {
            secret = config.hookAccess().secret.map(HMACKey.init)
            hookClosed = false
        }
        cdr = Self.readCDR(config, applies: format == .asteriskCDR)
        json = JSONCallMap(config: config, applies: format == .json)

        let twilio = format == .twilioVoice
        accountSID = config.string("account_sid")?.trimmed
        if let sid = accountSID, !sid.hasPrefix("AC") {
            config.problem("account_sid", "'\(sid)' is not an account SID (they start with AC)")
        }
        authToken = config.has("auth_token_env") || twilio ? config.secret("auth_token_env", required: twilio) : nil
        if twilio, accountSID == nil { config.problem(nil, "missing required key 'account_sid' (format twilio-voice)") }
        if format == .twilioVoice {
            for key in ["secret_env", "open"] where config.has(key) {
                _ = config.node(key)
                config.problem(key, "format twilio-voice is signed with the account's auth token; '\(key)' does not apply")
            }
        }
        originate = config.section("originate").map {
            OriginateSettings(config: $0, accountSID: accountSID, authToken: authToken)
        }
        watch = Self.readWatch(config, format: format)
    }

    private static func readWatch(_ config: ConfigSection, format: Format) -> CDRWatch? {
        let poll = config.duration("poll", default: .seconds(2)) ?? .seconds(2)
        guard let path = config.string("watch")?.trimmed else {
            if config.has("poll") { config.problem("poll", "'poll' applies to a watched file ('watch')") }
            return nil
        }
        guard format == .asteriskCDR else {
            config.problem("watch", "'watch' reads Asterisk CDR files: it applies to format asterisk-cdr only")
            return nil
        }
        guard path.hasPrefix("/") else {
            config.problem("watch", "'\(path)' is not an absolute path like /var/log/asterisk/cdr-csv/Master.csv")
            return nil
        }
        guard poll >= .milliseconds(100), poll <= .seconds(3600) else {
            config.problem("poll", "poll must be between 100ms and 1h")
            return nil
        }
        return CDRWatch(path: path, poll: poll)
    }

    private static func readCDR(_ config: ConfigSection, applies: Bool) -> AsteriskCDRDecoder {
        for key in ["layout", "columns", "recording_url_prefix"] where !applies && config.has(key) {
            _ = config.node(key)
            config.problem(key, "'\(key)' applies to format asterisk-cdr only")
        }
        var decoder = AsteriskCDRDecoder()
        let zone = config.string("timezone")
        if let zone {
            if let tz = TimeZone(identifier: zone) {
                decoder.timeZone = tz
            } else {
                config.problem("timezone", "'\(zone)' is not a time zone like Europe/Madrid")
            }
        } else {
            // Asterisk writes the PBX's local time; the gateway usually runs in the same zone.
            decoder.timeZone = .current
        }
        guard applies else { return decoder }
        switch config.choice("layout", ["auto", "cdr_csv", "cdr_custom"], default: "auto") {
        case "cdr_csv": decoder.layout = .cdrCSV
        case "cdr_custom": decoder.layout = .cdrCustom
        default: decoder.layout = .auto
        }
        if config.has("columns") {
            let names = config.stringList("columns").map { $0.trimmed.lowercased() }
            var columns: [String?] = []
            for name in names {
                if name.isEmpty || name == "-" {
                    columns.append(nil)
                } else if AsteriskLayout.knownColumns.contains(name) {
                    columns.append(name)
                } else {
                    config.problem(
                        "columns",
                        "unknown column '\(name)' (known: \(AsteriskLayout.knownColumns.sorted().joined(separator: ", ")); '-' skips a column)")
                    columns.append(nil)
                }
            }
            if !columns.contains("start") || !columns.contains("disposition") {
                config.problem("columns", "'columns' must name at least 'start' and 'disposition'")
            }
            if config.has("layout") { config.problem("layout", "give either 'layout' or 'columns'") }
            decoder.layout = .columns(columns)
        }
        if let prefix = config.string("recording_url_prefix")?.trimmed {
            if prefix.hasPrefix("http://") || prefix.hasPrefix("https://") {
                decoder.recordingURLPrefix = prefix
            } else {
                config.problem("recording_url_prefix", "'\(prefix)' is not an http:// or https:// URL")
            }
        }
        return decoder
    }
}
