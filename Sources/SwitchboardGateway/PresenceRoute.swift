import Foundation
import Hummingbird
import SwitchboardCore

/// `POST /api/v1/conversations/{id}/presence`: the caller has the conversation open (`viewing`),
/// is writing a reply (`typing`) or closed it (`left`). Others who can see the conversation get
/// `presence.updated`; the announcement lapses after the configured expiry unless sent again.
struct PresenceRoute {
    let desk: AgentDesk
    let maxBodyBytes: Int

    struct Announcement: Decodable { var state: String }

    struct Answer: Encodable {
        var conversation_id: Int64
        var state: PresenceState
        var since: Date
        var expires_at: Date?
        /// Seconds an announcement lasts: renew well within it.
        var expires_in: Double
        var viewers: [ConversationViewer]
    }

    func add(to api: RouterGroup<GatewayContext>) {
        api.post("conversations/:id/presence") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let raw = try context.parameters.require("id")
            guard let id = Int64(raw), id > 0 else { throw ServiceError.notFound("'\(raw)'") }
            var request = request
            let body = try await request.decodeJSON(Announcement.self, limit: maxBodyBytes)
            guard let state = PresenceState(rawValue: body.state) else {
                throw ServiceError.badRequest("'state' must be one of viewing, typing, left")
            }
            let (announced, viewers) = try await desk.announcePresence(state, in: id, by: viewer)
            let expiry = desk.presence.expiry.components
            return JSONResponse.make(
                Answer(
                    conversation_id: id, state: announced.state, since: announced.since, expires_at: announced.expiresAt,
                    expires_in: Double(expiry.seconds) + Double(expiry.attoseconds) / 1e18, viewers: viewers))
        }
    }
}
