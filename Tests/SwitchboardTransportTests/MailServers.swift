import Foundation
import SwitchboardTestSupport
import Synchronization

/// aiosmtpd on a free loopback port (`e2e/support/smtp_sink.py`).
struct SMTPSink {
    let helper: SupportProcess
    var url: String { "smtp://127.0.0.1:\(helper.int("port"))" }
    var directory: URL { URL(fileURLWithPath: helper.string("dir")) }

    /// Each received message's DATA bytes and its envelope, in arrival order.
    func messages() throws -> [(data: Data, envelope: [String: Any])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let base = directory.appendingPathComponent(String(name.dropLast(5)))
            let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: base.appendingPathExtension("json")))
            return (try Data(contentsOf: base.appendingPathExtension("eml")), envelope as? [String: Any] ?? [:])
        }
    }

    static func with<T>(_ arguments: [String] = [], _ body: (SMTPSink) async throws -> T) async throws -> T {
        let sink = SMTPSink(helper: try await SupportProcess.start("smtp_sink.py", arguments))
        do {
            let result = try await body(sink)
            await sink.helper.stop()
            return result
        } catch {
            await sink.helper.stop()
            throw error
        }
    }
}

/// Dovecot on a free loopback port with one user (`e2e/support/dovecot_server.py`).
struct DovecotServer {
    static let user = "support@example.com"
    static let password = "s3cret pass"
    let helper: SupportProcess
    var port: Int { helper.int("port") }
    var imapsPort: Int { helper.int("imaps_port") }
    var url: String { "imap://127.0.0.1:\(port)/INBOX" }
    var maildir: URL { URL(fileURLWithPath: helper.string("maildir")) }
    var certificate: String { helper.string("dir") + "/cert.pem" }

    /// Drops a message into the Maildir as an MDA would: written in `tmp/`, renamed into `new/`,
    /// owned by the mail user, no flags.
    func deliver(_ message: Data) throws {
        let name = "\(Int(Date().timeIntervalSince1970)).\(UUID().uuidString).test"
        let temporary = maildir.appendingPathComponent("tmp/\(name)")
        try message.write(to: temporary)
        if geteuid() == 0 {
            guard chown(temporary.path, uid_t(helper.int("mail_uid")), gid_t(helper.int("mail_gid"))) == 0 else {
                throw SupportError(message: "chown failed: errno \(errno)")
            }
        }
        guard rename(temporary.path, maildir.appendingPathComponent("new/\(name)").path) == 0 else {
            throw SupportError(message: "rename failed: errno \(errno)")
        }
    }

    /// Messages Dovecot has marked `\Seen`, read from the Maildir file names (`…:2,S`), not over
    /// IMAP, so the check does not depend on the code under test.
    func seenCount() throws -> Int {
        let files = try ["new", "cur"].flatMap { try FileManager.default.contentsOfDirectory(atPath: maildir.appendingPathComponent($0).path) }
        return files.filter { name in
            guard let info = name.range(of: ":2,") else { return false }
            return name[info.upperBound...].contains("S")
        }.count
    }

    static func with<T>(tls: Bool = false, _ body: (DovecotServer) async throws -> T) async throws -> T {
        let arguments = ["--user", user, "--password", password] + (tls ? ["--tls"] : [])
        let server = DovecotServer(helper: try await SupportProcess.start("dovecot_server.py", arguments))
        do {
            let result = try await body(server)
            await server.helper.stop()
            return result
        } catch {
            await server.helper.stop()
            throw error
        }
    }
}
