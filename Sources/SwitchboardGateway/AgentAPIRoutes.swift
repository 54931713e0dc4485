import Foundation
import Hummingbird
import SwitchboardAdapterAPI
import SwitchboardCore

/// The agent API under `/api/v1`. Each handler is a thin translation to ``AgentDesk``.
struct AgentAPIRoutes {
    let desk: AgentDesk
    let maxBodyBytes: Int

    struct Me: Encodable {
        var id: String
        var name: String
        var role: Agent.Role
        var teams: [String]
        var capacity: Int?
        var status: AgentStatus
    }

    struct StatusChange: Decodable { var status: String }
    struct ReplyRequest: Decodable {
        var body: String?
        var in_reply_to: Int64?
        var via: String?
        var attachments: [AttachmentReference]?
        var template: TemplateRequest?
    }
    /// `{"name", "language", "parameters": [...]}`: one of the adapter's templates instead of text.
    struct TemplateRequest: Decodable {
        var name: String
        var language: String
        var parameters: [String]?
    }
    /// `{"upload": ID}` or `{"message": ID, "index": N}`.
    struct AttachmentReference: Decodable {
        var upload: Int64?
        var message: Int64?
        var index: Int?

        var reference: ReplyAttachment {
            get throws {
                if let upload, message == nil, index == nil { return .upload(upload) }
                if let message, let index, upload == nil, index >= 0 { return .stored(message: message, index: index) }
                throw ServiceError.badRequest("each attachment is either {\"upload\": ID} or {\"message\": ID, \"index\": N}")
            }
        }
    }
    struct NoteRequest: Decodable { var body: String }
    struct EscalationRequest: Decodable { var reason: String }
    struct TagsRequest: Decodable { var tags: [String] }
    struct TagList: Encodable { var tags: [String] }
    struct SuggestionRequest: Decodable {
        var body: String
        var conversation: Int64?
    }
    struct SuggestionList: Encodable { var suggestions: [Suggestion] }
    struct AssignRequest: Decodable {
        var agent: String
        var owner: Bool?
    }
    struct ConversationList: Encodable { var conversations: [ConversationSummary] }
    struct CustomerList: Encodable { var customers: [CustomerSummary] }
    struct IdentityRequest: Decodable {
        var channel: String
        var address: String
    }
    struct MergeRequest: Decodable { var other: Int64 }
    struct CloseEscalationRequest: Decodable {
        var note: String?
        var hand_back: Bool?
    }

    func add(to api: RouterGroup<GatewayContext>) {
        api.get("me") { _, context in
            let agent = try context.requireAgent()
            return JSONResponse.make(try await me(agent))
        }
        api.put("me/status") { request, context in
            let agent = try context.requireAgent()
            var request = request
            let change = try await request.decodeJSON(StatusChange.self, limit: maxBodyBytes)
            guard let status = AgentStatus(rawValue: change.status) else {
                throw ServiceError.badRequest("'status' must be one of available, away, offline")
            }
            try await desk.setStatus(status, for: agent)
            return JSONResponse.make(try await me(agent))
        }
        api.get("conversations") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let raw = request.uri.queryParameters.get("status") ?? "open"
            guard let filter = ConversationQuery.StatusFilter(rawValue: raw) else {
                throw ServiceError.badRequest("'status' must be one of open, pending, resolved, all")
            }
            let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 100
            guard (1...1000).contains(limit) else { throw ServiceError.badRequest("'limit' must be between 1 and 1000") }
            return JSONResponse.make(ConversationList(conversations: try await desk.conversations(for: viewer, status: filter, limit: limit)))
        }
        api.get("conversations/:id") { _, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(try await desk.conversation(try id(context), for: viewer))
        }
        api.post("conversations/:id/replies") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let reply = try await request.decodeJSON(ReplyRequest.self, limit: maxBodyBytes)
            let message = try await desk.reply(
                to: try id(context), body: reply.body ?? "", inReplyTo: reply.in_reply_to, via: reply.via,
                attachments: try (reply.attachments ?? []).map { try $0.reference },
                template: reply.template.map { TemplateReply(name: $0.name, language: $0.language, parameters: $0.parameters ?? []) },
                by: viewer)
            return JSONResponse.make(message, status: .accepted)
        }
        api.post("conversations/:id/notes") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let note = try await request.decodeJSON(NoteRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(try await desk.note(on: try id(context), body: note.body, by: viewer), status: .created)
        }
        api.post("conversations/:id/escalations") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let escalation = try await request.decodeJSON(EscalationRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(try await desk.escalate(try id(context), reason: escalation.reason, by: viewer), status: .created)
        }
        api.post("conversations/:id/assign") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let assign = try await request.decodeJSON(AssignRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(
                try await desk.assign(try id(context), to: assign.agent, makeOwner: assign.owner ?? false, by: viewer), status: .created)
        }
        api.post("conversations/:id/tags") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let body = try await request.decodeJSON(TagsRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(TagList(tags: try await desk.tag(try id(context), tags: body.tags, by: viewer)))
        }
        api.get("escalations") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let list = try await desk.escalations(for: viewer, limit: try limit(request))
            return JSONResponse.make(ConversationList(conversations: list))
        }
        api.post("suggestions") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let body = try await request.decodeJSON(SuggestionRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(try await desk.suggest(body.body, conversation: body.conversation, by: viewer), status: .created)
        }
        api.get("suggestions") { request, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(SuggestionList(suggestions: try await desk.suggestions(for: viewer, limit: try limit(request))))
        }
        api.post("conversations/:id/resolve") { _, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(try await desk.resolve(try id(context), by: viewer))
        }
        api.put("conversations/:id/status") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let change = try await request.decodeJSON(StatusChange.self, limit: maxBodyBytes)
            guard change.status == "pending" || change.status == "open" else {
                throw ServiceError.badRequest("'status' must be 'pending' (waiting on the customer) or 'open'; resolve with POST …/resolve")
            }
            return JSONResponse.make(try await desk.setPending(try id(context), change.status == "pending", by: viewer))
        }
        api.post("conversations/:id/escalation/close") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let body = try await request.decodeJSON(CloseEscalationRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(
                try await desk.closeEscalation(try id(context), note: body.note, handBack: body.hand_back ?? false, by: viewer), status: .created)
        }
        api.post("conversations/:id/callback-done") { _, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(try await desk.completeCallback(try id(context), by: viewer), status: .created)
        }
        api.get("reports/summary") { request, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(try await desk.report(since: try since(request), for: viewer))
        }
        api.get("reports/conversations.csv") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let csv = try await desk.exportConversations(
                since: try since(request), limit: try limit(request, default: 100_000, max: 1_000_000), for: viewer)
            return JSONResponse.bytes(Array(csv.utf8), contentType: "text/csv; charset=utf-8")
        }
        api.get("customers") { request, context in
            let viewer = Viewer(try context.requireAgent())
            guard let q = formValue(request, "q") else { throw ServiceError.badRequest("'q' is required (a name, address or phone)") }
            return JSONResponse.make(CustomerList(customers: try await desk.searchCustomers(q, for: viewer, limit: try limit(request, default: 50))))
        }
        api.get("customers/:id") { _, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(try await desk.customer(try id(context), for: viewer))
        }
        api.post("customers/:id/identities") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let body = try await request.decodeJSON(IdentityRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(
                try await desk.linkIdentity(customer: try id(context), channel: body.channel, address: body.address, by: viewer), status: .created)
        }
        api.post("customers/:id/merge") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let body = try await request.decodeJSON(MergeRequest.self, limit: maxBodyBytes)
            return JSONResponse.make(try await desk.merge(try id(context), with: body.other, by: viewer))
        }
        api.post("customers/:id/unmerge") { _, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(try await desk.unmerge(try id(context), by: viewer))
        }
        api.get("messages/:id/attachments/:index") { _, context in
            let viewer = Viewer(try context.requireAgent())
            guard let index = context.parameters.get("index").flatMap(Int.init), index >= 0 else {
                throw ServiceError.badRequest("the attachment index must be a number counted from 0")
            }
            let file = try await desk.attachment(message: try id(context), index: index, by: viewer)
            return AttachmentDownload.response(file.attachment, content: file.content, index: index)
        }
        api.post("messages/:id/retry") { _, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(try await desk.retry(message: try id(context), by: viewer), status: .accepted)
        }
    }

    private func me(_ agent: Agent) async throws -> Me {
        Me(id: agent.id, name: agent.name, role: agent.role, teams: agent.teams, capacity: agent.capacity, status: try await desk.status(of: agent))
    }

    private func limit(_ request: Request, default value: Int = 100, max: Int = 1000) throws -> Int {
        let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? value
        guard (1...max).contains(limit) else { throw ServiceError.badRequest("'limit' must be between 1 and \(max)") }
        return limit
    }

    /// `since`: an ISO 8601 time or a duration back from now (`24h`, `7d`); default the last 24 hours.
    private func since(_ request: Request) throws -> Date {
        guard let value = request.uri.queryParameters.get("since") else { return Date().addingTimeInterval(-86400) }
        let raw = String(value)
        if let date = ISO8601DateFormatter().date(from: raw) { return date }
        if raw.hasSuffix("d"), let days = Double(String(raw.dropLast())) { return Date().addingTimeInterval(-days * 86400) }
        if let duration = DurationParser.parse(raw) {
            return Date().addingTimeInterval(-(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18))
        }
        throw ServiceError.badRequest("'since' must be an ISO 8601 time or a duration such as 24h or 7d")
    }

    /// A query parameter decoded as browsers and form encoders write it (`+` is a space, `%2B` a plus).
    private func formValue(_ request: Request, _ name: String) -> String? {
        guard let query = request.uri.query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first.map(String.init) == name else { continue }
            let raw = parts.count > 1 ? String(parts[1]) : ""
            return raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
        }
        return nil
    }

    private func id(_ context: GatewayContext) throws -> Int64 {
        let raw = try context.parameters.require("id")
        guard let id = Int64(raw), id > 0 else { throw ServiceError.notFound("'\(raw)'") }
        return id
    }
}
