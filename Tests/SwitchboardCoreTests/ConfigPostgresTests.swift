import Foundation
import SwitchboardConfig
import Testing

/// `storage:` for PostgreSQL behind a pooler or with a standby: multi-host URLs and `postgres_session`.
@Suite struct ConfigPostgresTests {
    let loader = ConfigLoaderTests()

    func storage(_ lines: String) throws -> Result<(GatewayConfig, Int), ConfigError> {
        try loader.load(ConfigLoaderTests.good.replacingOccurrences(of: "storage: { sqlite: /tmp/x.sqlite }", with: lines))
    }

    @Test func readsAMultiHostURLAndASessionURL() throws {
        let (config, _) = try storage(
            """
            storage:
              postgres: "postgres://sb@10.0.0.1:6432,10.0.0.2:6432/sb?target_session_attrs=read-write&sslmode=require"
              postgres_session: "postgres://sb@10.0.0.1:5432,10.0.0.2:5432/sb?target_session_attrs=read-write"
              pool: 8
            """
        ).get()
        #expect(
            config.storage
                == .postgres(
                    url: "postgres://sb@10.0.0.1:6432,10.0.0.2:6432/sb?target_session_attrs=read-write&sslmode=require", password: nil,
                    pool: 8, sessionURL: "postgres://sb@10.0.0.1:5432,10.0.0.2:5432/sb?target_session_attrs=read-write"))
    }

    @Test func preparedStatementsAreOnUnlessSwitchedOffAndOnlyForPostgres() throws {
        let (on, _) = try storage("storage: { postgres: \"postgres://sb@db1/sb\" }").get()
        #expect(on.storage == .postgres(url: "postgres://sb@db1/sb", password: nil, pool: 20, sessionURL: nil, preparedStatements: true))
        let (off, _) = try storage(
            """
            storage:
              postgres: "postgres://sb@pgbouncer:6432/sb"
              prepared_statements: false
            """
        ).get()
        #expect(off.storage == .postgres(url: "postgres://sb@pgbouncer:6432/sb", password: nil, pool: 20, sessionURL: nil, preparedStatements: false))
        guard case .failure(let bad) = try storage("storage: { postgres: \"postgres://sb@db1/sb\", prepared_statements: sometimes }") else {
            Issue.record("a prepared_statements that is not a boolean was accepted")
            return
        }
        #expect(bad.problems.contains { $0.message.contains("prepared_statements") }, "\(bad.problems)")
        guard case .failure(let sqlite) = try storage("storage: { sqlite: /tmp/x.sqlite, prepared_statements: false }") else {
            Issue.record("prepared_statements without postgres was accepted")
            return
        }
        #expect(sqlite.problems.map(\.message).contains { $0.contains("prepared_statements: only with 'postgres'") }, "\(sqlite.problems)")
    }

    @Test func commitDelayDefaultsToThreeMillisecondsOnEitherEngineAndIsBounded() throws {
        let (plain, _) = try storage("storage: { sqlite: /tmp/x.sqlite }").get()
        #expect(plain.commitDelay == .milliseconds(3))
        let (off, _) = try storage("storage: { postgres: \"postgres://sb@db1/sb\", commit_delay: 0s }").get()
        #expect(off.commitDelay == .zero)
        let (set, _) = try storage("storage: { sqlite: /tmp/x.sqlite, commit_delay: 1ms }").get()
        #expect(set.commitDelay == .milliseconds(1))
        guard case .failure(let long) = try storage("storage:\n  sqlite: /tmp/x.sqlite\n  commit_delay: 2s") else {
            Issue.record("a commit delay of two seconds was accepted")
            return
        }
        #expect(long.problems.map(\.description).contains { $0.contains("commit_delay") && $0.contains("at most 100ms") }, "\(long.problems)")
    }

    @Test func refusesBrokenHostListsAndSessionURLsWithTheirLine() throws {
        guard
            case .failure(let error) = try storage(
                """
                storage:
                  postgres: "postgres://sb@db1:5432,db2:port/sb?target_session_attrs=read-write"
                  postgres_session: "postgres://sb:secret@db1/sb"
                """)
        else {
            Issue.record("broken PostgreSQL URLs were accepted")
            return
        }
        let lines = error.problems.map { "\($0.line): \($0.message)" }
        #expect(lines.contains { $0.hasPrefix("3: storage.postgres: ") && $0.contains("(host 'db2:port')") }, "\(lines)")
        #expect(
            lines.contains("4: storage.postgres_session: the URL carries a password; name its environment variable in 'password_env' instead"),
            "\(lines)")

        guard case .failure(let attrs) = try storage("storage: { postgres: \"postgres://sb@db1,db2/sb?target_session_attrs=standby\" }") else {
            Issue.record("an unknown target_session_attrs was accepted")
            return
        }
        #expect(attrs.problems.map(\.message).contains { $0.contains("target_session_attrs=standby is not one of any, read-write, primary") })

        guard case .failure(let sqlite) = try storage("storage: { sqlite: /tmp/x.sqlite, postgres_session: \"postgres://sb@db1/sb\" }") else {
            Issue.record("postgres_session without postgres was accepted")
            return
        }
        #expect(sqlite.problems.map(\.message).contains { $0.contains("postgres_session: only with 'postgres'") })
    }
}
