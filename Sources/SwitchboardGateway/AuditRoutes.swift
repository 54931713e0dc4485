import Foundation
import Hummingbird
import SwitchboardAdapterAPI
import SwitchboardCore

/// `GET /api/v1/audit?since=&actor=&action=&before=&limit=`: the audit trail, newest first, in pages
/// (supervisors). `next_before` is the `before` of the next page, null on the last one.
struct AuditRoutes {
    let desk: AgentDesk

    struct Page: Encodable {
        var entries: [AuditEntry]
        var next_before: Int64?
    }

    func add(to api: RouterGroup<GatewayContext>) {
        api.get("audit") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let params = request.uri.queryParameters
            let limit = params.get("limit").flatMap(Int.init) ?? 100
            guard (1...1000).contains(limit) else { throw ServiceError.badRequest("'limit' must be between 1 and 1000") }
            var before: Int64?
            if let raw = params.get("before") {
                guard let value = Int64(raw), value > 0 else { throw ServiceError.badRequest("'before' must be an entry's seq (a positive number)") }
                before = value
            }
            let since = try params.get("since").map { try QueryTime.since($0) }
            let query = AuditQuery(
                since: since, actor: params.get("actor"), action: params.get("action"), before: before,
                limit: limit)
            let entries = try await desk.auditEntries(query, for: viewer)
            return JSONResponse.make(Page(entries: entries, next_before: entries.count == limit ? entries.last?.seq : nil))
        }
    }
}

/// Times in query parameters: an ISO 8601 time, or a duration back from now (`24h`, `7d`).
enum QueryTime {
    static func since(_ raw: String, now: Date = Date()) throws -> Date {
        if let date = ISO8601DateFormatter().date(from: raw) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: raw) { return date }
        if let duration = DurationParser.parse(raw) { return now.addingTimeInterval(-duration.seconds) }
        throw ServiceError.badRequest("'since' must be an ISO 8601 time or a duration such as 24h or 7d")
    }
}
