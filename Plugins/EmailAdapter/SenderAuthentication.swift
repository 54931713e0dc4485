import SwitchboardAdapterAPI

/// `authentication:` of an `email` adapter: the verdict of the receiving mail server on who sent a
/// message (SPF, DKIM, DMARC), read from the `Authentication-Results` fields it adds, and whether
/// automatic answers wait for a pass.
///
/// ```yaml
/// authentication:
///   authserv_id: mx.example.com   # or a list: the ids your MTA writes; fields of any other id are ignored
///   require: true                 # default: no acknowledgement to a sender without a pass
/// ```
///
/// Anyone can put an `Authentication-Results` field into the mail they send, so only fields with a
/// configured authserv-id count, and the MTA must remove such fields from arriving mail (RFC 8601
/// §5). A sender counts as verified with `dmarc=pass` for the From domain, a `dkim=pass` whose
/// signing domain (`header.d`) is aligned with the From domain, or an `spf=pass` whose envelope
/// sender (`smtp.mailfrom`) is aligned with it. Aligned: the same domain, or one a subdomain of the
/// other (DMARC's relaxed alignment, without the public-suffix list: a pass for a public suffix
/// such as `co.uk` would need that suffix's own DNS).
public struct SenderAuthentication: Sendable, Equatable {
    /// Lower-cased authserv-ids whose fields are trusted.
    public var authservIDs: [String]
    /// Whether an unverified sender gets no automatic answer.
    public var required: Bool

    /// Settings given directly (tests, embedding).
    public init(authservIDs: [String], required: Bool = true) {
        self.authservIDs = authservIDs.map { $0.trimmed.lowercased() }
        self.required = required
    }

    /// Reads the `authentication` section; problems go to its diagnostics.
    init(config: ConfigSection) {
        var ids: [String] = []
        for id in config.stringList("authserv_id").map(\.trimmed) {
            if id.isEmpty || id.contains(where: { $0.isWhitespace || $0 == ";" || $0 == "(" || $0 == "=" }) {
                config.problem(
                    "authserv_id",
                    "'\(id)' is not an authserv-id: it is the first word of your MTA's Authentication-Results fields, usually its host name such as mx.example.com"
                )
            } else {
                ids.append(id)
            }
        }
        if !config.has("authserv_id") {
            config.problem(
                nil,
                "missing required key 'authserv_id': the authserv-id your mail server writes into Authentication-Results (e.g. mx.example.com); fields with any other id are forgeable and ignored"
            )
        }
        self.init(authservIDs: ids, required: config.bool("require", default: true))
    }

    static let maxFields = 20
    static let maxFieldCharacters = 16 * 1024

    /// What the trusted fields say about the sender of `mail`, whose From domain is `domain`.
    struct Verdict: Equatable {
        var verified: Bool
        /// For the agent (`metadata.authentication`) and the reason no answer went out.
        var summary: String
    }

    func verdict(_ mail: ParsedEmail, fromDomain domain: String) -> Verdict {
        let domain = domain.lowercased()
        // An MTA writes a few fields of a few hundred bytes; more only costs parsing time.
        let trusted = (mail.headers["authentication-results"] ?? [])
            .filter { value in self.authservIDs.contains { Self.startsWithID(value, $0) } }
            .prefix(Self.maxFields)
            .compactMap { AuthenticationResults(String($0.prefix(Self.maxFieldCharacters))) }
            .filter { self.authservIDs.contains($0.authservID) }
        let results = trusted.flatMap(\.results)
        let server = authservIDs.joined(separator: " or ")
        guard !results.isEmpty else {
            return Verdict(verified: false, summary: "not verified: no SPF, DKIM or DMARC result from \(server)")
        }
        if let pass = results.first(where: { Self.isAlignedPass($0, domain: domain) }) {
            return Verdict(verified: true, summary: "verified by \(server): \(Self.describe(pass))")
        }
        let seen = results.prefix(6).map(Self.describe).joined(separator: ", ")
        return Verdict(verified: false, summary: "not verified: no DMARC, aligned DKIM or SPF pass for \(domain) from \(server) (\(seen))")
    }

    /// `Authentication-Results: mx.example.com; …` (cheap, before a field is parsed).
    private static func startsWithID(_ value: String, _ id: String) -> Bool {
        let start = value.drop(while: \.isWhitespace).prefix(id.count + 1).lowercased()
        guard start.hasPrefix(id) else { return false }
        return start.count == id.count || start.last.map { $0 == ";" || $0.isWhitespace || $0 == "(" } == true
    }

    private static func isAlignedPass(_ result: AuthenticationResults.Result, domain: String) -> Bool {
        guard result.result == "pass", !domain.isEmpty else { return false }
        switch result.method {
        case "dmarc":
            // The DMARC result is about the From domain the MTA saw; when it names it, it must be ours.
            return result.properties["header.from"].map { domainOf($0) == domain } ?? true
        case "dkim":
            guard let signer = result.properties["header.d"] ?? result.properties["header.i"].map(domainOf) else { return false }
            return aligned(domainOf(signer), domain)
        case "spf":
            guard let sender = result.properties["smtp.mailfrom"] else { return false }
            return aligned(domainOf(sender), domain)
        default:
            return false
        }
    }

    static func aligned(_ a: String, _ b: String) -> Bool {
        guard a.contains("."), b.contains(".") else { return false }
        return a == b || a.hasSuffix("." + b) || b.hasSuffix("." + a)
    }

    /// `ann@customer.example` or `customer.example` → `customer.example`.
    private static func domainOf(_ text: String) -> String {
        let bare = text.split(separator: "@").last.map(String.init) ?? text
        return bare.trimmed.lowercased().trimmingSuffixDot
    }

    private static func describe(_ result: AuthenticationResults.Result) -> String {
        let key = ["header.d", "smtp.mailfrom", "header.from"].first { result.properties[$0] != nil }
        let detail = key.map { " \($0)=\(result.properties[$0]!.prefix(100))" } ?? ""
        return "\(result.method.prefix(30))=\(result.result.prefix(30))\(detail)"
    }
}

extension String {
    fileprivate var trimmingSuffixDot: String { hasSuffix(".") ? String(dropLast()) : self }
}
