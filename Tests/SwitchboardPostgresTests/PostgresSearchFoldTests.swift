import PostgresNIO
import SwitchboardStoreTestSupport
import SwitchboardTestSupport
import Testing

@testable import SwitchboardPostgres

/// `search_fold` folds every text as migration 005's expression did (migration 031 only skips the
/// `translate` for text without a letter outside ASCII): documents written before and after it
/// match the same queries.
@Suite(.integration) struct PostgresSearchFoldTests {
    static let samples: [String?] = [
        nil, "", "Where is my PARCEL? Order #4821", "El CAMIÓN llegó tarde a Cádiz", "ÑANDÚ Øresund ÿ Ý Ç",
        "naïve café, crème brûlée", "Dvořák Łódź ő", "日本語のテキスト", "parcel 📦 arrived", "tab\tnew\nline \u{7f} end",
        "ascii then é", "é then ascii",
    ]

    @Test func foldsEveryTextAsTheTranslateItReplaces() async throws {
        #expect(PostgresSearchSchema.migration.sql.contains("'\(PostgresSearchSchema.foldedLetters)'"))
        #expect(PostgresSearchSchema.migration.sql.contains("'\(PostgresSearchSchema.foldedTo)'"))
        let database = try await PostgresTestServer.shared.createDatabase()
        let store = try await PostgresTestServer.shared.store(database: database)
        try await store.prepare(agents: TestAgents.all)
        var folded: [(String?, String?, String?)] = []
        try await PostgresTestServer.shared.admin(database: database) { client in
            for sample in Self.samples {
                let rows = try await client.query(
                    """
                    SELECT search_fold(\(sample)::text) AS now,
                        lower(translate(\(sample)::text, \(PostgresSearchSchema.foldedLetters), \(PostgresSearchSchema.foldedTo))) AS before
                    """)
                for try await (now, before) in rows.decode((String?, String?).self) { folded.append((sample, now, before)) }
            }
        }
        #expect(folded.count == Self.samples.count)
        for (sample, now, before) in folded { #expect(now == before, "\(sample ?? "NULL")") }
        // The fast path still folds case, and the other one accents.
        #expect(folded[2].1 == "where is my parcel? order #4821")
        #expect(folded[3].1 == "el camion llego tarde a cadiz")
        try await store.close()
        try await PostgresTestServer.shared.dropDatabase(database)
    }
}
