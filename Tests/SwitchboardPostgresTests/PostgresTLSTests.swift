import Foundation
import PostgresNIO
import SwitchboardTestSupport
import Testing

@testable import SwitchboardPostgres

/// `sslmode` in the store's URL means what it means to psql, against a server with TLS on
/// (e2e/support/postgres_server.py makes a self-signed certificate for localhost).
@Suite struct PostgresTLSTests {
    /// Whether the store's own connection is encrypted, as the server sees it.
    static func encrypted(_ url: String) async throws -> Bool {
        let store = try PostgresStore(url: url, pool: 1)
        do {
            let ssl = try await store.read { db in
                try await db.value("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", as: Bool.self)
            }
            try await store.close()
            return ssl ?? false
        } catch {
            try? await store.close()
            throw error
        }
    }

    static func server() async throws -> (port: Int, user: String, ca: String) {
        let helper = try await PostgresTestServer.shared.server()
        return (helper.int("port"), helper.string("user"), helper.string("ca"))
    }

    @Test(.integration) func requireEncryptsAndDisableDoesNot() async throws {
        let s = try await Self.server()
        #expect(try await Self.encrypted("postgres://\(s.user)@127.0.0.1:\(s.port)/postgres?sslmode=require"))
        #expect(try await Self.encrypted("postgres://\(s.user)@127.0.0.1:\(s.port)/postgres"))  // prefer, as psql
        #expect(try await !Self.encrypted("postgres://\(s.user)@127.0.0.1:\(s.port)/postgres?sslmode=disable"))
    }

    @Test(.integration) func verifyFullChecksTheCertificateAgainstTheGivenRoot() async throws {
        let s = try await Self.server()
        #expect(
            try await Self.encrypted(
                "postgres://\(s.user)@localhost:\(s.port)/postgres?sslmode=verify-full&sslrootcert=\(s.ca)"))
        // The server's self-signed certificate is not among the system's roots: no connection.
        await #expect(throws: (any Error).self) {
            _ = try await Self.encrypted("postgres://\(s.user)@localhost:\(s.port)/postgres?sslmode=verify-full")
        }
    }

    @Test func anUnknownModeOrMissingRootIsAClearError() throws {
        #expect {
            _ = try PostgresStore.configuration(url: "postgres://u@db/x?sslmode=requires", password: nil)
        } throws: { "\($0)".contains("sslmode=requires is not one of disable, allow, prefer, require, verify-ca, verify-full") }
        #expect {
            _ = try PostgresStore.configuration(url: "postgres://u@db/x?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt", password: nil)
        } throws: { "\($0)".contains("/nonexistent/ca.crt") }
    }
}
