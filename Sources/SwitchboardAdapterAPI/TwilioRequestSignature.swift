/// Twilio's request signature: base64 HMAC-SHA1, keyed with the auth token, of the full URL
/// Twilio requested followed by every POST parameter as name then value, sorted by name (and
/// by value for repeated names). Shared by every adapter that takes Twilio webhooks (SMS, voice).
public enum TwilioSignature {
    /// The header Twilio signs its requests in.
    public static let header = "X-Twilio-Signature"

    /// The signature Twilio sends for `url` and `params` (empty for GET and JSON requests).
    public static func compute(url: String, params: [(name: String, value: String)], authToken: String) -> String {
        // Byte order, as Twilio's SDKs sort: ASCII names, and no locale-aware collation.
        let sorted = params.sorted { a, b in
            a.name == b.name ? a.value.utf8.lexicographicallyPrecedes(b.value.utf8) : a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var data = Array(url.utf8)
        for pair in sorted {
            data += pair.name.utf8
            data += pair.value.utf8
        }
        return Signatures.hmacSHA1Base64(key: authToken, data)
    }

    /// Checks `signature` in constant time against the URL as given and, as Twilio's SDKs do,
    /// with the default port added or removed: which form Twilio signs depends on how the URL
    /// was written in its console.
    public static func isValid(_ signature: String?, url: String, params: [(name: String, value: String)], authToken: String) -> Bool {
        guard let signature, !signature.isEmpty else { return false }
        var valid = false
        for candidate in urlVariants(url) {
            // No early exit: the time taken does not tell which variant matched.
            valid = Signatures.constantTimeEquals(signature, compute(url: candidate, params: params, authToken: authToken)) || valid
        }
        return valid
    }

    /// `url` itself, then the same URL with its scheme's default port toggled.
    static func urlVariants(_ url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard let defaultPort = ["https": "443", "http": "80"][scheme] else { return [url] }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let hostEnd = authority.lastIndex(of: "]") ?? authority.startIndex
        let head = String(url[..<authority.startIndex])
        let tail = String(rest[authorityEnd...])
        if let colon = authority[hostEnd...].lastIndex(of: ":") {
            guard authority[authority.index(after: colon)...] == defaultPort else { return [url] }
            return [url, head + String(authority[..<colon]) + tail]
        }
        return [url, head + String(authority) + ":" + defaultPort + tail]
    }
}

extension TwilioSignature {
    /// Verifies a request Twilio made to `publicURL` + the request's path and query, and returns the
    /// parameters it sent: the form body of a POST, the query of a GET (a webhook configured with
    /// method GET signs no body parameters). Throws `.unauthorized` for a missing or wrong
    /// signature, `.malformed` for a POST that is not form-encoded.
    public static func verifiedParameters(
        of request: InboundRequest, publicURL: String, authToken: String
    ) throws(InboundError) -> [(name: String, value: String)] {
        let signed: [(name: String, value: String)]
        switch request.method {
        case "POST":
            if let type = request.mediaType, !type.isEmpty, type != "application/x-www-form-urlencoded" {
                throw .malformed("Twilio webhooks are application/x-www-form-urlencoded, not \(type)")
            }
            signed = FormEncoding.parse(request.body)
        case "GET":
            signed = []
        default:
            throw .methodNotAllowed("Twilio calls this hook with POST (or GET)")
        }
        guard let signature = request.header(header) else {
            throw .unauthorized("missing \(header) header")
        }
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        let url = base + request.path + (request.rawQuery.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
        guard isValid(signature.trimmed, url: url, params: signed, authToken: authToken) else {
            throw .unauthorized("\(header) does not match \(url) and the parameters")
        }
        return request.method == "GET" ? FormEncoding.parse(request.rawQuery ?? "") : signed
    }
}
