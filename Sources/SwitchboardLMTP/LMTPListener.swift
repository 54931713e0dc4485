import Foundation
import NIOSSL
import SwitchboardAdapterAPI

/// One address the gateway listens on for LMTP, and the adapters whose mail arrives there. Several
/// adapters may share one listener (one Postfix transport for all support addresses); `RCPT` says
/// whose mail it is.
public struct LMTPListener: Sendable {
    /// One adapter taking mail on this listener.
    public struct Mailbox: Sendable {
        /// The adapter, which says which recipients are its own and decodes the mail.
        public var adapter: any MailDeliveryAdapter
        /// The largest message this adapter takes.
        public var maxMessageBytes: Int
    }

    /// Where it listens.
    public var address: ListenAddress
    /// The adapters taking mail here; `RCPT TO` goes to the first that accepts the address.
    public var mailboxes: [Mailbox]
    /// STARTTLS offered, and then required before `MAIL`.
    public var tls: NIOSSLContext?
    /// Connections open at once; one more is answered `421` and closed.
    public var maxConnections: Int

    /// The largest message read at all (the largest of the adapters' limits), advertised as `SIZE`.
    public var maxMessageBytes: Int { mailboxes.map(\.maxMessageBytes).max() ?? 0 }

    /// The adapter whose mailbox `address` is, the first that says so.
    func mailbox(for address: String) -> Mailbox? {
        mailboxes.first { $0.adapter.accepts(recipient: address) }
    }
}

/// A configuration whose LMTP listeners cannot work, with every reason (`FILE:LINE: message`).
public struct LMTPPlanError: Error, CustomStringConvertible {
    /// One line per problem.
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

extension LMTPListener {
    /// The listeners the adapters ask for (``MailDeliveryAdapter/lmtp``), one per distinct address.
    /// Adapters sharing an address must agree on TLS, `insecure` and `max_connections`, and the TLS
    /// files must load. `maxBodyBytes` (`server.max_body`) is the size limit of adapters without
    /// their own `max_message`.
    public static func plan(_ adapters: [any ChannelAdapter], maxBodyBytes: Int) throws(LMTPPlanError) -> [LMTPListener] {
        var listeners: [LMTPListener] = []
        var endpoints: [ListenAddress: (endpoint: LMTPEndpoint, adapter: String)] = [:]
        var problems: [String] = []
        var contexts: [LMTPEndpoint.TLSFiles: NIOSSLContext] = [:]
        for case let adapter as any MailDeliveryAdapter in adapters {
            guard let endpoint = adapter.lmtp else { continue }
            let mailbox = Mailbox(adapter: adapter, maxMessageBytes: endpoint.maxMessageBytes ?? maxBodyBytes)
            if let existing = endpoints[endpoint.listen] {
                let (first, firstAdapter) = existing
                if first.tls != endpoint.tls || first.insecure != endpoint.insecure || first.maxConnections != endpoint.maxConnections {
                    problems.append(
                        "\(endpoint.source): adapters '\(firstAdapter)' and '\(adapter.id)' share lmtp.listen \(endpoint.listen) but differ in tls, insecure or max_connections: give them the same settings (one listener) or different addresses"
                    )
                }
                if let index = listeners.firstIndex(where: { $0.address == endpoint.listen }) {
                    listeners[index].mailboxes.append(mailbox)
                }
                continue
            }
            endpoints[endpoint.listen] = (endpoint, adapter.id)
            var tls: NIOSSLContext?
            if let files = endpoint.tls {
                if let context = contexts[files] {
                    tls = context
                } else {
                    do {
                        tls = try makeContext(files)
                        contexts[files] = tls
                    } catch {
                        problems.append("\(endpoint.source): lmtp.tls: cannot load \(files.certificateFile) and \(files.keyFile): \(error)")
                    }
                }
            }
            listeners.append(LMTPListener(address: endpoint.listen, mailboxes: [mailbox], tls: tls, maxConnections: endpoint.maxConnections))
        }
        guard problems.isEmpty else { throw LMTPPlanError(problems: problems) }
        return listeners
    }

    private static func makeContext(_ files: LMTPEndpoint.TLSFiles) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificateFile)
        guard !chain.isEmpty else { throw LMTPPlanError(problems: ["no certificate in \(files.certificateFile)"]) }
        let key = try NIOSSLPrivateKey(file: files.keyFile, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }
}
