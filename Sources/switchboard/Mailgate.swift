import ArgumentParser
import Foundation
import SwitchboardAdapterAPI
import SwitchboardTransport

/// `switchboard mailgate`: the MTA side of the e-mail channel. Postfix, Exim or sendmail pipe each
/// message for the support address into it; it posts the message to the gateway and answers with
/// a sendmail exit code, which the MTA turns into delivered, bounced or deferred (retried).
struct Mailgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailgate",
        abstract: "Post one RFC 5322 message from stdin to the gateway (for an MTA pipe).",
        discussion: """
            Exit status (sysexits): 0 accepted (or already stored), 65 rejected as malformed or too \
            large (the MTA bounces it), 75 gateway unreachable, timed out, answering 5xx, or refusing \
            the adapter or the credentials (the MTA keeps the message queued and retries). The \
            gateway's reason is written to stderr, which MTAs quote in bounces and queue entries.

            The message is signed (X-Switchboard-Signature: sha256=<HMAC-SHA256 of the body>) with \
            the adapter's shared secret, read from the environment variable SWITCHBOARD_MAIL_SECRET \
            or the one --secret-env names; without it, the post is unsigned (for a hook configured \
            with open: true).

            --sender and --recipient pass the SMTP envelope the MTA knows (Postfix pipe: \
            ${sender} ${recipient}; Exim: $sender_address $local_part@$domain). The gateway keeps \
            them with the message (metadata envelope_from, envelope_to) and files mail without a \
            usable From, Sender, Reply-To or Return-Path under the envelope sender. They are signed \
            with the body.
            """)

    /// Where the shared secret is looked for when `--secret-env` names no other variable.
    static let defaultSecretEnvironment = "SWITCHBOARD_MAIL_SECRET"

    /// sysexits.h
    static let accepted: Int32 = 0
    static let dataError: Int32 = 65
    static let temporaryFailure: Int32 = 75

    /// Bigger than any mail server lets through; only there so a runaway pipe cannot eat the
    /// machine's memory. The gateway applies its own, smaller limit (`server.max_body`, 413).
    static let maxMessageBytes = 64 * 1024 * 1024

    @Option(name: .long, help: "The gateway's base URL, e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(name: .long, help: "The e-mail adapter's id: the message is posted to URL/hooks/ID.")
    var adapter: String

    @Option(name: .long, help: "Give up (exit 75) if the gateway has not answered within this time, e.g. 30s, 2m.")
    var timeout = "60s"

    @Option(
        name: .customLong("secret-env"),
        help: "Environment variable holding the adapter's shared secret (default SWITCHBOARD_MAIL_SECRET); when named, it must be set.")
    var secretEnv: String?

    @Option(name: .long, help: "The envelope sender (MAIL FROM) as the MTA passes it; empty, <> or MAILER-DAEMON for a bounce.")
    var sender: String?

    @Option(name: .long, help: "An envelope recipient (RCPT TO) as the MTA passes it; repeat for several.")
    var recipient: [String] = []

    func validate() throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("--url must start with http:// or https://")
        }
        guard !adapter.isEmpty,
            adapter.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") })
        else {
            throw ValidationError("--adapter must be an adapter id such as support-mail")
        }
        guard let duration = DurationParser.parse(timeout), duration > .zero else {
            throw ValidationError("--timeout must be a duration such as 30s or 2m")
        }
    }

    func run() async throws {
        let message: [UInt8]
        switch Self.readStandardInput(limit: Self.maxMessageBytes) {
        case .success(let bytes): message = bytes
        case .failure(let outcome): throw Self.finish(outcome)
        }
        guard !message.isEmpty else {
            throw Self.finish(Outcome(code: Self.dataError, reason: "no message on standard input"))
        }
        let secret: String?
        switch Self.secret(named: secretEnv, environment: ProcessInfo.processInfo.environment) {
        case .success(let value): secret = value
        case .failure(let outcome): throw Self.finish(outcome)
        }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        var headers = [("Content-Type", "message/rfc822")]
        headers += Self.signedHeaders(message: message, secret: secret, sender: sender, recipients: recipient)
        let request = HTTPRequest(
            method: "POST", url: "\(base)/hooks/\(adapter)",
            headers: headers, body: message,
            timeout: DurationParser.parse(timeout) ?? .seconds(60))
        let transport = CurlTransport(maxConnectionsPerHost: 1, userAgent: "switchboard-mailgate/0.1")
        defer { transport.shutdown() }
        let outcome: Outcome
        do {
            let response = try await transport.send(request)
            outcome = Self.outcome(status: response.status, body: response.body, adapter: adapter)
        } catch {
            outcome = Outcome(code: Self.temporaryFailure, reason: "gateway unreachable at \(base): \(error)")
        }
        throw Self.finish(outcome)
    }

    /// The body's signature and the envelope headers, signed with it (see the adapter's
    /// `MailHookGuard`: FROM LF TO LF BODY-SIGNATURE-HEX).
    static func signedHeaders(message: [UInt8], secret: String?, sender: String?, recipients: [String]) -> [(String, String)] {
        var headers: [(String, String)] = []
        let key = secret.map(HMACKey.init)
        let bodySignature = key?.sha256Hex(message)
        if let bodySignature { headers.append(("X-Switchboard-Signature", "sha256=" + bodySignature)) }
        let from = sender.map { oneLine($0).isEmpty ? "<>" : oneLine($0) }
        let to = recipients.isEmpty ? nil : recipients.map(oneLine).joined(separator: ", ")
        guard from != nil || to != nil else { return headers }
        if let from { headers.append(("X-Switchboard-Envelope-From", from)) }
        if let to { headers.append(("X-Switchboard-Envelope-To", to)) }
        if let key, let bodySignature {
            let signed = (from ?? "") + "\n" + (to ?? "") + "\n" + bodySignature
            headers.append(("X-Switchboard-Envelope-Signature", "sha256=" + key.sha256Hex(Array(signed.utf8))))
        }
        return headers
    }

    /// A header value: what the MTA passed, without line ends, trimmed.
    private static func oneLine(_ text: String) -> String {
        String(text.filter { $0 != "\r" && $0 != "\n" }).trimmingCharacters(in: .whitespaces)
    }

    struct Outcome: Equatable {
        var code: Int32
        /// For stderr; nil when there is nothing to say.
        var reason: String?
    }

    /// The exit status for the gateway's answer. Only a malformed or oversized message is
    /// bounced: retrying cannot make it acceptable. An unknown adapter (404) or refused
    /// credentials (401/403) is the installation's fault, not the customer's, so the MTA keeps
    /// the message queued until an operator fixes the setup — and bounces it with our stderr
    /// line only when its queue lifetime (Postfix: 5 days) runs out.
    static func outcome(status: Int, body: [UInt8], adapter: String) -> Outcome {
        let detail = errorDetail(body)
        switch status {
        case 200..<300:
            return Outcome(code: accepted, reason: nil)
        case 400, 413, 415, 422:
            return Outcome(code: dataError, reason: "gateway rejected the message (\(status)\(detail))")
        case 404:
            return Outcome(
                code: temporaryFailure, reason: "gateway has no adapter \"\(adapter)\" (404\(detail)); check --adapter, message kept for retry")
        case 401, 403:
            return Outcome(
                code: temporaryFailure,
                reason: "gateway refused the request (\(status)\(detail)); check the adapter's settings, message kept for retry")
        default:
            return Outcome(code: temporaryFailure, reason: "gateway answered \(status)\(detail); message kept for retry")
        }
    }

    /// `: code: message` from the gateway's JSON error, else the start of the body as text.
    private static func errorDetail(_ body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let error = object["error"] as? [String: Any]
        {
            let parts = [error["code"] as? String, error["message"] as? String].compactMap { $0 }.filter { !$0.isEmpty }
            if !parts.isEmpty { return " " + parts.joined(separator: ": ") }
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? "" : " " + text
    }

    /// The shared secret: from the variable `--secret-env` names (which must then be set: an
    /// installation fault, so the MTA keeps the message and retries), else from
    /// `SWITCHBOARD_MAIL_SECRET` when it is set, else none (an open hook).
    static func secret(named name: String?, environment: [String: String]) -> Result<String?, Outcome> {
        guard let name else {
            let value = environment[defaultSecretEnvironment] ?? ""
            return .success(value.isEmpty ? nil : value)
        }
        guard let value = environment[name], !value.isEmpty else {
            return .failure(
                Outcome(
                    code: temporaryFailure,
                    reason: "--secret-env \(name): the environment variable is not set; message kept for retry"))
        }
        return .success(value)
    }

    /// Reads all of stdin. Plain blocking reads: this one-shot command has nothing else to run.
    static func readStandardInput(limit: Int) -> Result<[UInt8], Outcome> {
        var message: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count == 0 { return .success(message) }
            if count < 0 {
                if errno == EINTR { continue }
                // The MTA still has the message; let it try again.
                return .failure(Outcome(code: temporaryFailure, reason: "cannot read the message from stdin (errno \(errno))"))
            }
            message.append(contentsOf: chunk[0..<count])
            if message.count > limit {
                return .failure(Outcome(code: dataError, reason: "message larger than \(limit / 1024 / 1024) MiB"))
            }
        }
    }

    /// Writes the reason where MTAs pick it up and turns the outcome into the process's exit status.
    private static func finish(_ outcome: Outcome) -> ExitCode {
        if let reason = outcome.reason {
            FileHandle.standardError.write(Data("switchboard mailgate: \(reason)\n".utf8))
        }
        return ExitCode(outcome.code)
    }
}

extension Mailgate.Outcome: Error {}
