import Foundation
import Logging
import SwitchboardAdapterAPI

/// How one mail account logs in: with its password as configured, or with an OAuth2 access token
/// put into the account for each call. A login the server refuses with a token is tried once
/// more with a new token (the old one may have been revoked or expired early).
struct MailLogin: Sendable {
    let account: MailAccount
    let oauth2: OAuth2TokenSource?
    /// This account's `oauth2` settings (its scope and mechanism; the source may be shared).
    let settings: OAuth2Settings?

    /// Runs `body` with the account ready to log in. Throws ``OAuth2Failure`` when no token can
    /// be had, else what `body` throws.
    func run<T: Sendable>(_ body: (MailAccount) async throws(MailTransportError) -> T) async throws -> T {
        guard let oauth2, let settings else { return try await body(account) }
        let token = try await oauth2.accessToken(scope: settings.scope)
        let first: Result<T, MailTransportError> = await Self.attempt(body, with: authorized(token, settings))
        guard case .failure(let error) = first, error.loginRefused else { return try first.get() }
        await oauth2.invalidate(token)
        let fresh = try await oauth2.accessToken(scope: settings.scope)
        return try await body(authorized(fresh, settings))
    }

    private func authorized(_ token: String, _ settings: OAuth2Settings) -> MailAccount {
        var account = account
        account.bearer = MailBearer(token: token, mechanism: settings.mechanism)
        return account
    }

    private static func attempt<T: Sendable>(
        _ body: (MailAccount) async throws(MailTransportError) -> T, with account: MailAccount
    ) async -> Result<T, MailTransportError> {
        do {
            return .success(try await body(account))
        } catch {
            return .failure(error)
        }
    }
}

/// The adapter's token sources: one per credential, so IMAP and SMTP logging in with the same
/// client and refresh token share it.
struct OAuth2Sources: Sendable {
    let imap: OAuth2TokenSource?
    let smtp: OAuth2TokenSource?

    static let none = OAuth2Sources(imap: nil, smtp: nil)

    init(imap: OAuth2TokenSource?, smtp: OAuth2TokenSource?) {
        self.imap = imap
        self.smtp = smtp
    }

    init(settings: EmailSettings, adapter: String, transport: any HTTPTransport, values: AdapterValuesSlot, logger: Logger) {
        func source(_ oauth2: OAuth2Settings) -> OAuth2TokenSource {
            OAuth2TokenSource(settings: oauth2, transport: transport, values: values, adapter: adapter, logger: logger)
        }
        let imap = settings.imapOAuth2.map(source)
        smtp = settings.smtpOAuth2.map { oauth2 in
            if let imap, imap.settings.credential == oauth2.credential { return imap }
            return source(oauth2)
        }
        self.imap = imap
    }

    /// Each source with each scope it is asked for, once: what the adapter keeps fresh.
    func keepers(settings: EmailSettings) -> [(OAuth2TokenSource, String?)] {
        var result: [(OAuth2TokenSource, String?)] = []
        for (source, oauth2) in [(imap, settings.imapOAuth2), (smtp, settings.smtpOAuth2)] {
            guard let source, let oauth2 else { continue }
            if !result.contains(where: { $0.0 === source && $0.1 == oauth2.scope }) { result.append((source, oauth2.scope)) }
        }
        return result
    }

    /// Every distinct source's problems.
    var problems: [String] {
        var seen: [String] = []
        for source in [imap, smtp].compactMap({ $0 }) {
            for problem in source.health.problems where !seen.contains(problem) { seen.append(problem) }
        }
        return seen
    }
}
