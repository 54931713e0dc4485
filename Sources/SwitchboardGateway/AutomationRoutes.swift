import Foundation
import Hummingbird
import SwitchboardAdapterAPI
import SwitchboardCore

/// Priorities, rules and integrations under `/api/v1`: thin translations to the core.
struct AutomationRoutes {
    let desk: AgentDesk
    let rules: RuleEngine?
    let integrations: Integrations?
    let maxBodyBytes: Int

    struct PriorityRequest: Decodable { var priority: String }
    struct RuleTestRequest: Decodable { var message: Int64 }
    struct RuleList: Encodable { var rules: [RuleSummary] }
    struct RuleSummary: Encodable {
        var id: String
        var on: String
        var actions: [String]
    }
    struct WebhookList: Encodable { var webhooks: [WebhookStatus] }
    struct DeliveryList: Encodable { var deliveries: [WebhookDelivery] }
    struct ReplayRequest: Decodable { var deliveries: [Int64]? }
    struct Replayed: Encodable { var replayed: Int }

    func add(to api: RouterGroup<GatewayContext>) {
        api.put("conversations/:id/priority") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let body = try await request.decodeJSON(PriorityRequest.self, limit: maxBodyBytes)
            guard let priority = Priority(rawValue: body.priority) else {
                throw ServiceError.badRequest("'priority' must be one of \(Priority.names)")
            }
            return JSONResponse.make(try await desk.setPriority(try id(context), priority, by: viewer))
        }
        api.get("rules") { _, context in
            let viewer = Viewer(try context.requireAgent())
            guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors see the rules") }
            return JSONResponse.make(
                RuleList(
                    rules: (rules?.rules ?? []).map {
                        RuleSummary(id: $0.id, on: $0.trigger.description, actions: $0.actions.map(\.name))
                    }))
        }
        api.post("rules/:rule/test") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            let body = try await request.decodeJSON(RuleTestRequest.self, limit: maxBodyBytes)
            let rule = try context.parameters.require("rule")
            guard let rules else { throw ServiceError.notFound("rule '\(rule)'") }
            return JSONResponse.make(try await rules.test(rule: rule, message: body.message, by: viewer))
        }
        api.get("webhooks") { _, context in
            let viewer = Viewer(try context.requireAgent())
            return JSONResponse.make(WebhookList(webhooks: try integrations?.list(by: viewer) ?? []))
        }
        api.get("webhooks/:webhook/deliveries") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let webhook = try context.parameters.require("webhook")
            guard let integrations else { throw ServiceError.notFound("webhook '\(webhook)'") }
            var state: QueueState?
            if let raw = request.uri.queryParameters.get("state"), raw != "all" {
                guard let parsed = QueueState(rawValue: String(raw)) else {
                    throw ServiceError.badRequest("'state' must be one of queued, delivered, failed, all")
                }
                state = parsed
            }
            let limit = request.uri.queryParameters.get("limit").flatMap { Int(String($0)) } ?? 100
            guard (1...1000).contains(limit) else { throw ServiceError.badRequest("'limit' must be between 1 and 1000") }
            let before = request.uri.queryParameters.get("before").flatMap { Int64(String($0)) }
            return JSONResponse.make(
                DeliveryList(
                    deliveries: try await integrations.deliveries(of: webhook, state: state, before: before, limit: limit, by: viewer)))
        }
        api.post("webhooks/:webhook/deliveries/replay") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let webhook = try context.parameters.require("webhook")
            guard let integrations else { throw ServiceError.notFound("webhook '\(webhook)'") }
            var request = request
            let body = try await request.decodeJSONIfPresent(ReplayRequest.self, limit: maxBodyBytes) ?? ReplayRequest()
            return JSONResponse.make(
                Replayed(replayed: try await integrations.replay(webhook, deliveries: body.deliveries, by: viewer)), status: .accepted)
        }
    }

    private func id(_ context: GatewayContext) throws -> Int64 {
        let raw = try context.parameters.require("id")
        guard let id = Int64(raw), id > 0 else { throw ServiceError.notFound("'\(raw)'") }
        return id
    }
}

/// Answers a state-changing API request only once the events it caused are in the automation
/// queue: a 2xx means the rules and webhooks will hear of it.
struct JournalFlushMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let journal: EventJournal

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        if request.method != .get, request.method != .head { await journal.flushed() }
        return response
    }
}

extension Request {
    /// Like `decodeJSON`, for a body that may be left out (nil when empty).
    mutating func decodeJSONIfPresent<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T? {
        let bytes = try await bodyBytes(limit: limit)
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { return nil }
        do {
            return try JSONCoding.decode(type, from: bytes)
        } catch {
            throw ServiceError.badRequest("the body is not valid JSON of the expected shape")
        }
    }
}
