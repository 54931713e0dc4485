import Foundation
import PostgresNIO
import SwitchboardCore

/// `sslmode` and `sslrootcert` of a `postgres://` URL, with libpq's meanings, so an operator's
/// connection string behaves here as it does in psql:
///
/// - `disable`: plain TCP.
/// - `allow`, `prefer` (the default): TLS when the server offers it, without checking its certificate.
/// - `require`: TLS or no connection; the certificate is checked only if `sslrootcert` is given.
/// - `verify-ca`: TLS with a certificate signed by `sslrootcert` (or the system's roots).
/// - `verify-full`: as `verify-ca`, and the certificate must name the host.
struct PostgresTLS: Sendable {
    enum Mode: String, CaseIterable, Sendable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var mode: Mode
    var rootCertificate: String?

    init(query: [URLQueryItem]) throws {
        let value = query.last { $0.name == "sslmode" }?.value ?? Mode.prefer.rawValue
        guard let mode = Mode(rawValue: value) else {
            throw StoreError.failed(
                "sslmode=\(value) is not one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.mode = mode
        rootCertificate = query.last { $0.name == "sslrootcert" }?.value.flatMap { $0.isEmpty ? nil : $0 }
        if let rootCertificate, !FileManager.default.isReadableFile(atPath: rootCertificate) {
            throw StoreError.failed("sslrootcert=\(rootCertificate): no readable file there")
        }
    }

    private var configuration: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate { tls.trustRoots = .file(rootCertificate) }
        switch mode {
        case .verifyFull: tls.certificateVerification = .fullVerification
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .require: tls.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
        case .disable, .allow, .prefer: tls.certificateVerification = .none
        }
        return tls
    }

    var client: PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .allow, .prefer: .prefer(configuration)
        case .require, .verifyCA, .verifyFull: .require(configuration)
        }
    }

    func connection() throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .allow, .prefer: .prefer(try NIOSSLContext(configuration: configuration))
        case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: configuration))
        }
    }
}
