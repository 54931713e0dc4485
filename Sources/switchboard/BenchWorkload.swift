import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardAdapterAPI

/// Where the bench sends its requests, parsed from `--url`.
struct BenchTarget: Sendable {
    var host: String
    var port: Int
    /// Path prefix of the gateway (usually empty), without a trailing slash.
    var basePath: String

    /// `lmtp://host:port`: the gateway's LMTP listener (`--format lmtp`).
    var isLMTP = false

    /// Parses `http://host[:port][/prefix]` or `lmtp://host:port`; only plain text, because the
    /// bench has no TLS stack.
    init(url text: String) throws {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "lmtp",
            let host = url.host, !host.isEmpty
        else {
            throw ValidationError("--url must look like http://host:port (plain HTTP) or lmtp://host:port, got '\(text)'")
        }
        self.host = host
        self.isLMTP = scheme == "lmtp"
        self.port = url.port ?? (isLMTP ? 24 : 80)
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// Value of the `Host` header; the port is always given so proxies route it like the gateway would.
    var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// One fully prepared request: built before the timed phase so the hot loop only writes bytes.
struct BenchRequest: Sendable {
    var head: HTTPRequestHead
    /// The HTTP body; for LMTP, the pipelined `MAIL`, `RCPT` and `DATA` commands.
    var body: ByteBuffer
    /// For LMTP: the message, sent after the `354`.
    var lmtpData: ByteBuffer? = nil
}

/// The payload shapes the bench can post.
enum BenchFormat: String, ExpressibleByArgument, Sendable {
    case webhook, whatsapp, email, lmtp
}

/// Builds every request of a run up front (bodies, HMAC signatures, headers).
enum BenchWorkload {
    /// One message body and the signature header it needs.
    static func payload(
        format: BenchFormat, runID: String, index i: Int, customer: Int, secret: String?
    ) -> (body: [UInt8], signature: (String, String)?) {
        switch format {
        case .webhook:
            // Everything interpolated here is ASCII without quotes or backslashes, so no JSON escaping is needed.
            let json =
                #"{"id":"bench-\#(runID)-\#(i)","from":"bench-\#(runID)-\#(customer)@example.com","#
                + #""name":"Bench Customer \#(customer)","text":"bench message \#(i) from run \#(runID)"}"#
            let bytes = Array(json.utf8)
            return (bytes, secret.map { ("X-Switchboard-Signature", "sha256=" + Signatures.hmacSHA256Hex(key: $0, bytes)) })
        case .whatsapp:
            // A fresh number range per run: 1 + four digits of the run id + six digits of the customer.
            let runDigits = String(UInt32(runID, radix: 16).map { $0 % 10_000 } ?? 0).leftPadded(to: 4)
            let waID = "1" + runDigits + String(customer).leftPadded(to: 6)
            let json =
                #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":"#
                + #"{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"#
                + #""contacts":[{"profile":{"name":"Bench Customer \#(customer)"},"wa_id":"\#(waID)"}],"#
                + #""messages":[{"from":"\#(waID)","id":"wamid.bench-\#(runID)-\#(i)","timestamp":"1764064800","type":"text","#
                + #""text":{"body":"bench message \#(i) from run \#(runID)"}}]},"field":"messages"}]}]}"#
            let bytes = Array(json.utf8)
            return (bytes, secret.map { ("X-Hub-Signature-256", "sha256=" + Signatures.hmacSHA256Hex(key: $0, bytes)) })
        case .email, .lmtp:
            preconditionFailure("e-mail bodies come from BenchMail")
        }
    }

    /// Requests `0..<count`; message `i` comes from customer `i % customers`.
    /// The run id makes message ids and customer addresses fresh on every run, so the gateway
    /// stores each message instead of answering "duplicate".
    static func build(
        format: BenchFormat = .webhook, target: BenchTarget, adapter: String, secret: String?, runID: String, count: Int,
        customers: Int, mails: [[UInt8]] = []
    ) -> [BenchRequest] {
        let uri = "\(target.basePath)/hooks/\(adapter)"
        let host = target.hostHeader
        let allocator = ByteBufferAllocator()
        var requests: [BenchRequest] = []
        requests.reserveCapacity(count)
        for i in 0..<count {
            let customer = i % customers
            let (bytes, signature) =
                format == .email
                ? Self.signedMail(BenchMail.fresh(mails[i % mails.count], prefix: "r\(runID)-\(i / mails.count)."), secret: secret)
                : payload(format: format, runID: runID, index: i, customer: customer, secret: secret)
            var headers = HTTPHeaders()
            headers.reserveCapacity(6)
            headers.add(name: "Host", value: host)
            headers.add(name: "Content-Type", value: format == .email ? "message/rfc822" : "application/json")
            headers.add(name: "Content-Length", value: String(bytes.count))
            headers.add(name: "User-Agent", value: "switchboard-bench")
            if let signature { headers.add(name: signature.0, value: signature.1) }
            var body = allocator.buffer(capacity: bytes.count)
            body.writeBytes(bytes)
            requests.append(
                BenchRequest(
                    head: HTTPRequestHead(version: .http1_1, method: .POST, uri: uri, headers: headers), body: body))
        }
        return requests
    }

    /// A mail as `switchboard mailgate` posts it: signed with the adapter's secret when there is one.
    static func signedMail(_ bytes: [UInt8], secret: String?) -> (body: [UInt8], signature: (String, String)?) {
        (bytes, secret.map { ("X-Switchboard-Signature", "sha256=" + Signatures.hmacSHA256Hex(key: $0, bytes)) })
    }

    /// A short random id (8 hex digits) that tells the rows of different runs apart.
    static func makeRunID() -> String {
        String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8)
    }
}

extension String {
    /// Pads with leading zeros so run ids have a fixed width.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
