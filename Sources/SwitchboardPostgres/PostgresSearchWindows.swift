import Foundation

/// How a newest-first search reads its matches on PostgreSQL without trusting the planner's guess
/// of how many there are.
///
/// Given `ORDER BY id DESC LIMIT n`, PostgreSQL either walks the primary key backwards testing
/// every row (cheap when matches are dense) or reads every match from the GIN index and sorts them
/// (cheap when they are few). It picks from its estimate of the terms' frequency, which is wrong
/// by orders of magnitude for rare words (an order number: 0 matches, 1,168 estimated at 1 M
/// messages, so the whole table was walked: 0.7 s), for words that rarely go together, and for an
/// agent who sees a twentieth of the matches (the walk then reads twenty times the rows it
/// expects). So the search reads the newest ids in windows — each window a bounded piece of the
/// primary key, whichever way PostgreSQL reads it — counting the matches in each; once the
/// counted density says the remaining matches are cheaper to read from the index than the rows
/// to walk, it reads them from the index, sorted, and stops.
enum PostgresSearchWindows {
    /// What one window gave: the term's matches in it (before the filters; for an agent, those of
    /// the conversations they hold or were mentioned in), and the rows that passed them (at most
    /// the rows still needed, newest first).
    struct Window<Row: Sendable>: Sendable {
        var matched: Int
        var rows: [Row]
    }

    /// Where the rest is read from once the walk stops.
    enum Range: Sendable {
        /// Ids in `lo..<hi`, a piece of the primary key.
        case window(lo: Int64, hi: Int64)
        /// Every id below `hi`, from the index of words (the condition is written so that the
        /// primary key cannot serve it).
        case indexed(below: Int64)
    }

    /// What a match read from the index costs, in rows walked. At 10 M messages (PostgreSQL 15,
    /// `EXPLAIN ANALYZE`, warm): 0.28 µs a row walked; 4.7 µs a match fetched by the bitmap (each on
    /// its own page) and 4 µs more to join its conversation — about 30 rows. At 8 (measured at 1 M,
    /// where a walked row cost 0.7 µs) an agent's window of 500 for a word they see one in 360 of
    /// (`devolución`: 537,807 matches, 27,961 theirs) was read from the index, 0.3 s, where the
    /// walk takes 0.06 s; 24 keeps the index for what is really sparse (`lavadora` as an agent:
    /// 4,423 of theirs in 10 M ids, 0.08 s, against a million ids to walk).
    static let indexedMatchCost = 24.0

    /// The first window's ids: a page of 20 costs about 1 ms to walk.
    static func firstSpan(limit: Int) -> Int64 { Int64(max(2048, limit * 8)) }

    /// Up to `limit` rows below `before`, newest first. `ids` are the smallest and largest id the
    /// index holds (nil when empty); `read` runs one range for the rows still needed. `span` sizes
    /// the first window (tests make it tiny to take every path on a few rows).
    static func newestFirst<Row: Sendable>(
        limit: Int, before: Int64?, ids: (min: Int64, max: Int64)?, span first: Int64? = nil,
        read: (_ range: Range, _ needed: Int) async throws -> Window<Row>
    ) async throws -> [Row] {
        guard let ids, limit > 0 else { return [] }
        var rows: [Row] = []
        var hi = min(before ?? Int64.max, ids.max &+ 1)
        var span = max(1, first ?? firstSpan(limit: limit))
        var walked = 0.0
        var matched = 0.0
        var visible = 0.0
        while hi > ids.min, rows.count < limit {
            let lo = max(ids.min, hi - span)
            let window = try await read(.window(lo: lo, hi: hi), limit - rows.count)
            rows += window.rows
            walked += Double(hi - lo)
            matched += Double(window.matched)
            visible += Double(window.rows.count)
            hi = lo
            guard rows.count < limit, hi > ids.min else { break }
            let remaining = Double(hi - ids.min)
            // From the high end of what the count allows (about two standard deviations of a
            // Poisson count): a first window holding 5 of an agent's matches where 10 were due made
            // a word they see one in 400 of (`factura`, 25,000 theirs at 10 M) look sparse enough
            // for the index, 0.37 s, where the walk takes 0.06 s. Walking on costs a window at
            // most; reading the index on a wrong guess costs every match below.
            let matchesBelow = (matched + 2 * matched.squareRoot() + 1) / walked * remaining
            let needed = Double(limit - rows.count)
            // Nothing visible yet is not "nothing to find by walking": an agent sees a twentieth of
            // a common word's matches, and a first window of 2,048 rows often holds none of theirs.
            // Taken as half a row, the walk goes on (spans growing) until it has covered enough
            // rows that the index is the cheaper way to find what remains; at 10 M messages a page
            // of 20 for an agent was read from the index (89,000 matches, about a second) where the
            // walk finds it in 40,000 rows (20 ms).
            let rowsToWalk = min(remaining, needed * walked / max(visible, 0.5))
            if matchesBelow * indexedMatchCost <= rowsToWalk {
                rows += try await read(.indexed(below: hi), limit - rows.count).rows
                break
            }
            span = Int64(min(max(Double(span) * 2, rowsToWalk * 1.25), Double(span) * 8))
        }
        return rows
    }
}
