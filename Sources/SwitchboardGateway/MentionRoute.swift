import Foundation
import Hummingbird
import SwitchboardCore

/// `GET /api/v1/mentions?limit=&before=`: the notes that mentioned the caller (`@id`), newest first.
struct MentionRoute {
    let desk: AgentDesk

    struct List: Encodable {
        var mentions: [Mention]
        /// Pass as `before` for the next page; absent on the last one.
        var next_before: Int64?
    }

    func add(to api: RouterGroup<GatewayContext>) {
        api.get("mentions") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let query = FormQuery(request.uri.query)
            let limit =
                try query["limit"].map { raw -> Int in
                    guard let limit = Int(raw) else { throw ServiceError.badRequest("'limit' must be a number between 1 and 200") }
                    return limit
                } ?? 50
            let before = try query["before"].map { raw -> Int64 in
                guard let id = Int64(raw), id > 0 else { throw ServiceError.badRequest("'before' must be a mention id") }
                return id
            }
            let mentions = try await desk.mentions(for: viewer, before: before, limit: limit)
            return JSONResponse.make(List(mentions: mentions, next_before: mentions.count == limit ? mentions.last?.id : nil))
        }
    }
}
