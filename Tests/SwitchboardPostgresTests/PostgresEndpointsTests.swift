import Foundation
import PostgresNIO
import SwitchboardTestSupport
import Testing

@testable import SwitchboardPostgres

/// libpq's multi-host URL: the servers in order, `target_session_attrs`, and a store that finds the
/// primary among them.
@Suite struct PostgresEndpointsTests {
    @Test func readsEveryHostInOrderWithTheSharedParts() throws {
        let endpoints = try PostgresEndpoints(
            url: "postgres://sb@db1:6432,db2,10.0.0.3:5433/support?target_session_attrs=read-write&sslmode=disable", password: "pw")
        #expect(endpoints.servers.map(\.description) == ["db1:6432", "db2:5432", "10.0.0.3:5433"])
        #expect(endpoints.username == "sb" && endpoints.database == "support" && endpoints.password == "pw")
        #expect(endpoints.needsPrimary && endpoints.followsPrimary)
        #expect(endpoints.tls.mode == .disable)

        let single = try PostgresEndpoints(url: "postgres://sb@db1/support", password: nil)
        #expect(single.servers.map(\.description) == ["db1:5432"] && !single.followsPrimary)
        #expect(try PostgresEndpoints(url: "postgres://sb@db1/support?target_session_attrs=primary", password: nil).followsPrimary)
    }

    @Test func refusesAnUnknownSessionAttributeAndABrokenHost() {
        #expect {
            _ = try PostgresEndpoints(url: "postgres://sb@db1,db2/x?target_session_attrs=standby", password: nil)
        } throws: { "\($0)".contains("target_session_attrs=standby") }
        #expect(throws: (any Error).self) { _ = try PostgresEndpoints(url: "postgres://sb@db1,:x/x", password: nil) }
    }

    /// The first host is down: the store's pool goes to the second, the one that accepts writes.
    @Test(.integration) func theStoreFindsThePrimaryPastADeadFirstHost() async throws {
        let helper = try await PostgresTestServer.shared.server()
        let port = helper.int("port")
        let database = try await PostgresTestServer.shared.createDatabase()
        let store = try PostgresStore(
            url: "postgres://\(helper.string("user"))@127.0.0.1:1,127.0.0.1:\(port)/\(database)?target_session_attrs=read-write", pool: 2)
        do {
            try await store.prepare(agents: [])
            let reached = try await store.read { db in try await db.value("SELECT inet_server_port()", as: Int.self) }
            #expect(reached == port)
            try await store.close()
        } catch {
            try? await store.close()
            try? await PostgresTestServer.shared.dropDatabase(database)
            throw error
        }
        try await PostgresTestServer.shared.dropDatabase(database)
    }
}
