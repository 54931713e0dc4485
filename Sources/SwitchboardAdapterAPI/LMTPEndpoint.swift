import Foundation

/// Where a listener binds: `HOST:PORT` (`127.0.0.1:2424`, `[::1]:2424`, `localhost:2424`) or a Unix
/// socket `unix:/run/switchboard/lmtp.sock`.
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// A TCP address: a host name or IP address and a port (0: any free one).
    case inet(host: String, port: Int)
    /// A Unix domain socket at an absolute path.
    case unix(path: String)

    /// Reads the written form; nil with the reason when it is not one.
    public static func parse(_ text: String) -> Result<ListenAddress, ListenAddressError> {
        let value = text.trimmed
        if value.hasPrefix("unix:") {
            let path = String(value.dropFirst("unix:".count))
            guard path.hasPrefix("/") else {
                return .failure(.init("'\(value)': a Unix socket needs an absolute path, e.g. unix:/run/switchboard/lmtp.sock"))
            }
            return .success(.unix(path: path))
        }
        let host: Substring
        let port: Substring
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]"), value[value.index(after: close)...].hasPrefix(":") else {
                return .failure(.init("'\(value)' is not HOST:PORT (an IPv6 address is written [::1]:2424)"))
            }
            host = value[value.index(after: value.startIndex)..<close]
            port = value[value.index(close, offsetBy: 2)...]
        } else {
            guard let colon = value.lastIndex(of: ":"), !value[..<colon].contains(":") else {
                return .failure(.init("'\(value)' is not HOST:PORT, e.g. 127.0.0.1:2424 (or unix:/path/to/socket)"))
            }
            host = value[..<colon]
            port = value[value.index(after: colon)...]
        }
        guard !host.isEmpty else { return .failure(.init("'\(value)' names no host: write 127.0.0.1:2424 for loopback")) }
        guard let number = Int(port), (0...65535).contains(number) else {
            return .failure(.init("'\(value)': the port must be a number from 0 to 65535"))
        }
        return .success(.inet(host: String(host), port: number))
    }

    /// Only this machine can connect: a loopback address, `localhost`, or a Unix socket (whose
    /// file permissions say who).
    public var isLoopback: Bool {
        switch self {
        case .unix: return true
        case .inet(let host, _):
            let lower = host.lowercased()
            if lower == "localhost" || lower == "::1" { return true }
            let parts = lower.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
        }
    }

    public var description: String {
        switch self {
        case .inet(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }
}

/// Why a listen address could not be read.
public struct ListenAddressError: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// An adapter's LMTP listener, as configured under its `lmtp:` key (see ``MailDeliveryAdapter``).
///
/// ```yaml
/// lmtp:
///   listen: "127.0.0.1:2424"       # or unix:/run/switchboard/lmtp.sock
///   recipients: [help@example.com] # more addresses accepted besides the adapter's own
///   max_message: 25m               # default: server.max_body
///   max_connections: 64
///   tls: { cert_file: /etc/ssl/lmtp.pem, key_file: /etc/ssl/lmtp.key }   # STARTTLS, then required
///   insecure: false                # true: plain text on a non-loopback address
/// ```
public struct LMTPEndpoint: Sendable, Equatable {
    /// The certificate and key STARTTLS offers (PEM files).
    public struct TLSFiles: Sendable, Equatable, Hashable {
        public var certificateFile: String
        public var keyFile: String

        public init(certificateFile: String, keyFile: String) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// Where the listener binds.
    public var listen: ListenAddress
    /// STARTTLS is offered with these files, and required before `MAIL` when set.
    public var tls: TLSFiles?
    /// Plain text on a non-loopback address, said explicitly.
    public var insecure: Bool
    /// Addresses taken besides the adapter's own (aliases the MTA does not rewrite).
    public var recipients: [String]
    /// The largest message taken (`552` beyond); nil: the server's `max_body`.
    public var maxMessageBytes: Int?
    /// Connections open at once on this listener; one more is answered `421` and closed.
    public var maxConnections: Int
    /// `FILE:LINE` of the `lmtp:` key, for messages about listeners several adapters share.
    public var source: String

    /// Connections per listener unless `max_connections` says otherwise: more than an MTA opens
    /// (Postfix's default concurrency per destination is 20), few enough to bound memory.
    public static let defaultMaxConnections = 64

    public init(
        listen: ListenAddress, tls: TLSFiles? = nil, insecure: Bool = false, recipients: [String] = [],
        maxMessageBytes: Int? = nil, maxConnections: Int = defaultMaxConnections, source: String = ""
    ) {
        self.listen = listen
        self.tls = tls
        self.insecure = insecure
        self.recipients = recipients
        self.maxMessageBytes = maxMessageBytes
        self.maxConnections = maxConnections
        self.source = source
    }
}

extension LMTPEndpoint {
    /// Reads an `lmtp:` section; problems go to its diagnostics. Nil when `listen` is unusable.
    /// `isAddress` tells an e-mail address (for `recipients`).
    public init?(config: ConfigSection, isAddress: (String) -> Bool) {
        defer { config.finish() }
        source = "\(config.diagnostics.file):\(config.line)"
        insecure = config.bool("insecure", default: false)
        maxConnections = config.int("max_connections", default: Self.defaultMaxConnections, range: 1...100_000) ?? Self.defaultMaxConnections
        maxMessageBytes = config.string("max_message").flatMap { text in
            guard let bytes = Self.size(text), bytes >= 1024 else {
                config.problem("max_message", "'\(text)' is not a size of at least 1k (e.g. 10m, 25m)")
                return nil
            }
            return bytes
        }
        recipients = config.stringList("recipients").map { $0.trimmed }.filter { address in
            if isAddress(address) { return true }
            config.problem("recipients", "'\(address)' is not an e-mail address like help@example.com")
            return false
        }
        if let section = config.section("tls") {
            let certificate = section.requiredString("cert_file")
            let key = section.requiredString("key_file")
            for (name, path) in [("cert_file", certificate), ("key_file", key)] {
                if let path, !FileManager.default.isReadableFile(atPath: path) {
                    section.problem(name, "cannot read '\(path)'")
                }
            }
            section.finish()
            tls = certificate.flatMap { c in key.map { TLSFiles(certificateFile: c, keyFile: $0) } }
        } else {
            tls = nil
        }
        guard let text = config.requiredString("listen") else { return nil }
        switch ListenAddress.parse(text) {
        case .failure(let error):
            config.problem("listen", error.reason)
            return nil
        case .success(let address):
            listen = address
        }
        if !listen.isLoopback, tls == nil, !insecure {
            config.problem(
                "listen",
                "'\(text)' is reachable from other machines: set 'tls' (cert_file, key_file) so the MTA must use STARTTLS, or 'insecure: true' if the network in between is trusted"
            )
        }
        if tls != nil, insecure {
            config.problem("insecure", "'insecure: true' and 'tls' contradict each other: remove one")
        }
    }

    private static func size(_ text: String) -> Int? {
        let lower = text.trimmed.lowercased()
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("kb", 1000), ("mb", 1_000_000), ("k", 1 << 10), ("m", 1 << 20)]
        var scale = 1
        var digits = Substring(lower)
        if let unit = units.first(where: { lower.hasSuffix($0.0) }) {
            scale = unit.1
            digits = lower.dropLast(unit.0.count)
        }
        guard let value = Int(String(digits).trimmed), value >= 0, value <= Int.max / scale else { return nil }
        return value * scale
    }
}
