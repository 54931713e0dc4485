import Foundation
import SwitchboardAdapterAPI

/// An access token and when to stop using it.
struct OAuth2AccessToken: Sendable, Equatable {
    var value: String
    var obtainedAt: Date
    var expiresAt: Date

    /// When a new token is fetched: a quarter of its lifetime before it expires, at most a
    /// minute before, so a login that starts just before the end never carries an expired token
    /// and short-lived tokens are not refreshed almost at once.
    var refreshAt: Date {
        let lifetime = max(0, expiresAt.timeIntervalSince(obtainedAt))
        return expiresAt.addingTimeInterval(-min(60, lifetime / 4))
    }

    /// Whether the token is still used at `now`.
    func isFresh(at now: Date) -> Bool { now < refreshAt }
}

/// What the token endpoint answered (RFC 6749 §5.1 and §5.2).
enum OAuth2TokenResponse: Equatable {
    /// A token, with a new refresh token when the provider rotates them.
    case granted(OAuth2AccessToken, refreshToken: String?)
    /// Refused: the provider's words, `error: error_description` (e.g. `invalid_grant: Token has
    /// been expired or revoked.`).
    case refused(String)

    /// Assumed lifetime when the provider does not say (`expires_in` is only RECOMMENDED).
    static let defaultLifetime: TimeInterval = 3600

    /// Reads an answer received at `now`. A 2xx answer without an access token is refused too:
    /// whatever it is, it cannot log in.
    static func parse(status: Int, body: [UInt8], now: Date) -> OAuth2TokenResponse {
        let json = try? JSONValue.parse(body)
        guard (200...299).contains(status) else { return .refused(providerError(status: status, json: json, body: body)) }
        guard let json, let token = json["access_token"]?.nonEmptyText else {
            return .refused("the token endpoint answered HTTP \(status) without an access_token")
        }
        // Seconds, as a number or (some providers) a string; nonsense counts as "not said".
        let seconds = json["expires_in"]?.int64Value
        let lifetime = seconds.map { TimeInterval(max(0, $0)) } ?? defaultLifetime
        let access = OAuth2AccessToken(value: token, obtainedAt: now, expiresAt: now.addingTimeInterval(lifetime))
        return .granted(access, refreshToken: json["refresh_token"]?.nonEmptyText)
    }

    /// The provider's `error` and `error_description`, else the status and the start of the body.
    /// Neither holds a secret: providers never echo the refresh token or client secret.
    static func providerError(status: Int, json: JSONValue?, body: [UInt8]) -> String {
        let code = json?["error"]?.nonEmptyText.map(clean)
        let description = json?["error_description"]?.nonEmptyText.map(clean)
        switch (code, description) {
        case (let code?, let description?): return "\(code): \(description)"
        case (let code?, nil): return code
        case (nil, let description?): return description
        case (nil, nil):
            let text = clean(String(decoding: body.prefix(200), as: UTF8.self))
            return text.isEmpty ? "HTTP \(status) from the token endpoint" : "HTTP \(status) from the token endpoint: \(text)"
        }
    }

    /// One line of at most 300 characters: Microsoft's descriptions carry trace ids over several lines.
    private static func clean(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty }
            .joined(separator: " ")
        return line.count > 300 ? String(line.prefix(299)) + "…" : line
    }
}
