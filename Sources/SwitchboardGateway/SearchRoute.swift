import Foundation
import Hummingbird
import SwitchboardAdapterAPI
import SwitchboardCore

/// `GET /api/v1/search?q=&status=&adapter=&tag=&since=&until=&limit=&cursor=&order=`: messages,
/// customers, tags and references, only from conversations the caller may read.
struct SearchRoute {
    let desk: AgentDesk

    func add(to api: RouterGroup<GatewayContext>) {
        api.get("search") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let query = FormQuery(request.uri.query)
            var search = SearchRequest(text: query["q"] ?? "")
            if let raw = query["status"], raw != "all" {
                guard let status = ConversationStatus(rawValue: raw), status != .merged else {
                    throw ServiceError.badRequest("'status' must be one of open, pending, resolved, all")
                }
                search.status = status
            }
            search.adapter = query["adapter"].flatMap { $0.isEmpty ? nil : $0 }
            search.tag = query["tag"].flatMap { $0.isEmpty ? nil : $0 }
            search.since = try query["since"].map { try Self.time($0, "since") }
            search.until = try query["until"].map { try Self.time($0, "until") }
            if let raw = query["limit"] {
                guard let limit = Int(raw) else { throw ServiceError.badRequest("'limit' must be a number between 1 and 100") }
                search.limit = limit
            }
            search.cursor = query["cursor"].flatMap { $0.isEmpty ? nil : $0 }
            if let raw = query["order"] {
                guard let order = SearchRequest.Order(rawValue: raw) else {
                    throw ServiceError.badRequest("'order' must be newest or relevance")
                }
                search.order = order
            }
            return JSONResponse.make(try await desk.search(search, for: viewer))
        }
    }

    /// An ISO 8601 time (`2024-05-01T00:00:00Z`), a date (`2024-05-01`, UTC midnight), or a
    /// duration back from now (`30d`, `24h`, `90m`).
    static func time(_ raw: String, _ name: String) throws -> Date {
        if let date = ISO8601DateFormatter().date(from: raw) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: raw) { return date }
        if raw.hasSuffix("d"), let days = Double(raw.dropLast()), days >= 0 { return Date().addingTimeInterval(-days * 86_400) }
        if let duration = DurationParser.parse(raw) {
            return Date().addingTimeInterval(-(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18))
        }
        throw ServiceError.badRequest("'\(name)' must be an ISO 8601 time or date, or a duration back from now such as 30d or 24h")
    }
}

/// A query string decoded as browsers and form encoders write it (`+` a space, `%2B` a plus).
struct FormQuery {
    private var values: [String: String] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (raw: Substring) in
                let text = raw.replacingOccurrences(of: "+", with: " ")
                return text.removingPercentEncoding ?? text
            }
            let name = decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
    }

    subscript(name: String) -> String? { values[name] }
}
