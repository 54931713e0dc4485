import CCurl
import Foundation
import SwitchboardAdapterAPI

/// Checked envelope addresses and the wire form of the message.
struct SMTPEnvelope: Sendable {
    let from: String
    let recipients: [String]

    init(from: String, recipients: [String]) throws(MailTransportError) {
        guard !recipients.isEmpty else { throw MailTransportError("no recipients", permanent: true) }
        // curl adds the angle brackets; anything that could end the command line or nest brackets
        // would let an address smuggle extra SMTP commands.
        for address in [from] + recipients {
            if address.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) {
                throw MailTransportError("invalid mail address \(address.debugDescription)", permanent: true)
            }
        }
        guard recipients.allSatisfy({ !$0.isEmpty }) else {
            throw MailTransportError("empty recipient address", permanent: true)
        }
        self.from = from
        self.recipients = recipients
    }

    /// SMTP forbids bare CR and LF in DATA (RFC 5321 §2.3.8), and several MTAs reject or
    /// mis-split them; the last line must end in CRLF so the terminating dot stands on its own.
    static func wireFormat(_ message: Data) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 32 + 2)
        var previous: UInt8 = 0
        for byte in message {
            if byte == 10 {
                if previous != 13 { out.append(13) }
            } else if previous == 13 {
                out.append(10)  // the CR before this byte was bare
            }
            out.append(byte)
            previous = byte
        }
        if previous == 13 { out.append(10) }
        if !out.suffix(2).elementsEqual([13, 10]) { out.append(contentsOf: [13, 10]) }
        return out
    }
}

/// One SMTP submission: `MAIL FROM`, `RCPT TO` for each recipient, `DATA` streamed from memory.
///
/// `@unchecked Sendable` for the same reason as ``HTTPTransfer``: the mutable upload offset and
/// last server reply are touched only by curl callbacks and `complete` on the loop thread, after
/// the hand-over through ``CurlMultiLoop``'s mutex.
final class SMTPTransfer: CurlTransfer, @unchecked Sendable {
    let completion = Completion<Void>()
    private let account: MailAccount
    private let envelope: SMTPEnvelope
    private let payload: [UInt8]
    private let tls: MailTLSOptions
    private var offset = 0
    private var recipientList: UnsafeMutablePointer<curl_slist>?
    private let reply = ServerReply()

    init(account: MailAccount, envelope: SMTPEnvelope, payload: [UInt8], tls: MailTLSOptions) {
        self.account = account
        self.envelope = envelope
        self.payload = payload
        self.tls = tls
    }

    deinit {
        // The loop holds the transfer until its handle is reset, so curl no longer uses the list.
        curl_slist_free_all(recipientList)
    }

    func configure(_ easy: CurlEasy) throws(TransportError) {
        try easy.prepare(timeout: account.timeout)
        try easy.set(CURLOPT_URL, account.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        try configureMailTLS(easy, url: account.url, tls: tls)
        try configureCredentials(easy, account: account)
        try easy.set(CURLOPT_MAIL_FROM, envelope.from)
        for recipient in envelope.recipients {
            guard let list = curl_slist_append(recipientList, recipient) else {
                throw TransportError("could not configure transfer: out of memory")
            }
            recipientList = list
        }
        try requireCurlOK(sb_easy_setopt_slist(easy.handle, CURLOPT_MAIL_RCPT, recipientList))
        try easy.set(CURLOPT_UPLOAD, 1)
        try requireCurlOK(sb_easy_setopt_off_t(easy.handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(payload.count)))
        try configureCallbacks(easy)
        try reply.attach(to: easy)
    }

    func complete(_ easy: CurlEasy, code: CURLcode) {
        guard code != CURLE_OK else {
            completion.resume(with: .success(()))
            return
        }
        let status = easy.info(CURLINFO_RESPONSE_CODE)
        // A 5xx reply (recipient unknown, message refused, relaying denied) or a refused login
        // will be answered the same way next time; connection trouble and 4xx replies may not.
        let permanent =
            (500...599).contains(status) || code == CURLE_LOGIN_DENIED
            || code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL
        var reason = "SMTP \(easy.error(for: code).message)"
        if let line = reply.last, status != 0 { reason += " (server said: \(line))" }
        completion.resume(with: .failure(MailTransportError(reason, permanent: permanent, loginRefused: code == CURLE_LOGIN_DENIED)))
    }

    func fail(_ error: any Error) {
        completion.resume(with: .failure(Self.mailError(error)))
    }

    static func mailError(_ error: any Error) -> MailTransportError {
        switch error {
        case let error as MailTransportError: error
        case let error as TransportError: MailTransportError("SMTP \(error.message)")
        case is CancellationError: MailTransportError("SMTP submission cancelled")
        default: MailTransportError("SMTP \(error)")
        }
    }

    private func configureCallbacks(_ easy: CurlEasy) throws(TransportError) {
        // Unretained is enough: the loop keeps the transfer alive while its handle is active.
        let me = Unmanaged.passUnretained(self).toOpaque()
        try requireCurlOK(
            sb_easy_setopt_read_callback(easy.handle) { buffer, size, count, userdata in
                guard let userdata, let buffer else { return Int(CURL_READFUNC_ABORT) }
                let transfer = Unmanaged<SMTPTransfer>.fromOpaque(userdata).takeUnretainedValue()
                let length = min(size * count, transfer.payload.count - transfer.offset)
                transfer.payload.withUnsafeBytes { bytes in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + transfer.offset, byteCount: length)
                }
                transfer.offset += length
                return length
            })
        try requireCurlOK(sb_easy_setopt_pointer(easy.handle, CURLOPT_READDATA, me))
        // SMTP has no response body, but curl's default would write anything it got to stdout.
        try requireCurlOK(sb_easy_setopt_write_callback(easy.handle) { _, size, count, _ in size * count })
    }
}

/// The server's own reason for a failure ("550 5.1.1 <x@example.com>: Recipient address
/// rejected"), which says more than curl's bare "RCPT failed: 550".
///
/// Fed by curl's debug callback with server lines only (`CURLINFO_HEADER_IN`); what the client
/// sends, credentials included, is never looked at. A class so curl can hold a stable pointer to
/// it; its owner keeps it alive while the handle is in use, and only that handle's thread touches it.
final class ServerReply {
    private var lastLine: String?
    private var lastFailure: String?
    private static let maxLength = 300

    /// The last refusal, else the last line: curl says goodbye after a failure, and "221 Bye"
    /// explains nothing.
    var last: String? { lastFailure ?? lastLine }

    func attach(to easy: CurlEasy) throws(TransportError) {
        try easy.set(CURLOPT_VERBOSE, 1)
        try requireCurlOK(
            sb_easy_setopt_debug_callback(easy.handle) { _, type, data, size, userdata in
                guard type == CURLINFO_HEADER_IN, let data, let userdata, size > 0 else { return 0 }
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: min(size, 1000)), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                Unmanaged<ServerReply>.fromOpaque(userdata).takeUnretainedValue().record(line)
                return 0
            })
        try requireCurlOK(sb_easy_setopt_pointer(easy.handle, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(self).toOpaque()))
    }

    private func record(_ line: String) {
        guard !line.isEmpty else { return }
        let line = String(line.prefix(Self.maxLength))
        lastLine = line
        // SMTP 4xx/5xx replies; IMAP tagged NO/BAD answers.
        let words = line.split(separator: " ", maxSplits: 2)
        if let code = words.first, code.count == 3, code.first == "4" || code.first == "5" {
            lastFailure = line
        } else if words.count >= 2, ["NO", "BAD"].contains(words[1].uppercased()) {
            lastFailure = line
        }
    }
}

/// STARTTLS where the server offers it on plain `smtp://` and `imap://`; `smtps://` and `imaps://`
/// are TLS from the first byte anyway.
func configureMailTLS(_ easy: CurlEasy, url: String, tls: MailTLSOptions) throws(TransportError) {
    try easy.set(CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
    if let caFile = tls.caFile { try easy.set(CURLOPT_CAINFO, caFile) }
}

func configureCredentials(_ easy: CurlEasy, account: MailAccount) throws(TransportError) {
    if let user = account.user, !user.isEmpty { try easy.set(CURLOPT_USERNAME, user) }
    if let bearer = account.bearer {
        // Only the configured mechanism: left to choose, curl would fall back to PLAIN/LOGIN with
        // an empty password against servers that offer no bearer mechanism.
        try easy.set(CURLOPT_XOAUTH2_BEARER, bearer.token)
        try easy.set(CURLOPT_LOGIN_OPTIONS, "AUTH=\(bearer.mechanism.rawValue)")
    } else if let password = account.password {
        try easy.set(CURLOPT_PASSWORD, password)
    }
}

func requireCurlOK(_ code: CURLcode) throws(TransportError) {
    guard code == CURLE_OK else {
        throw TransportError("could not configure transfer: \(String(cString: curl_easy_strerror(code)))")
    }
}
