import Foundation
import Hummingbird
import SwitchboardCore

/// Saved replies: `GET|POST /api/v1/canned-responses`, `PUT|DELETE /api/v1/canned-responses/{id}`,
/// `POST /api/v1/canned-responses/{id}/render {"conversation": ID}`.
struct CannedResponseRoutes {
    let desk: AgentDesk
    let maxBodyBytes: Int

    struct Draft: Decodable {
        var shortcut: String
        var title: String
        var body: String
        var scope: String?
        var language: String?

        func validated() throws -> CannedResponseDraft {
            let raw = scope ?? "personal"
            guard let scope = CannedResponseScope(raw) else {
                throw ServiceError.badRequest("'scope' must be personal, team:<team id> or everyone")
            }
            return CannedResponseDraft(shortcut: shortcut, title: title, body: body, scope: scope, language: language)
        }
    }

    struct RenderRequest: Decodable { var conversation: Int64 }
    struct List: Encodable { var canned_responses: [CannedResponse] }

    func add(to api: RouterGroup<GatewayContext>) {
        api.get("canned-responses") { request, context in
            let agent = try context.requireAgent()
            let language = FormQuery(request.uri.query)["language"]
            return JSONResponse.make(List(canned_responses: try await desk.cannedResponses(for: agent, language: language)))
        }
        api.post("canned-responses") { request, context in
            let agent = try context.requireAgent()
            var request = request
            let draft = try await request.decodeJSON(Draft.self, limit: maxBodyBytes).validated()
            return JSONResponse.make(try await desk.createCannedResponse(draft, by: agent), status: .created)
        }
        api.put("canned-responses/:id") { request, context in
            let agent = try context.requireAgent()
            var request = request
            let draft = try await request.decodeJSON(Draft.self, limit: maxBodyBytes).validated()
            return JSONResponse.make(try await desk.updateCannedResponse(try id(context), draft, by: agent))
        }
        api.delete("canned-responses/:id") { _, context in
            let agent = try context.requireAgent()
            try await desk.deleteCannedResponse(try id(context), by: agent)
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        api.post("canned-responses/:id/render") { request, context in
            let agent = try context.requireAgent()
            var request = request
            let body = try await request.decodeJSON(RenderRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(try await desk.renderCannedResponse(try id(context), conversation: body.conversation, by: agent))
        }
    }

    private func id(_ context: GatewayContext) throws -> Int64 {
        let raw = try context.parameters.require("id")
        guard let id = Int64(raw), id > 0 else { throw ServiceError.notFound("saved reply '\(raw)'") }
        return id
    }
}
