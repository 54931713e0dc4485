import Foundation
import Hummingbird
import NIOCore
import SwitchboardAdapterAPI
import SwitchboardCore

/// `/hooks/{adapter}`: what channels post. A 2xx is answered only once the message is durable.
struct HookRoutes {
    let pipeline: InboundPipeline
    let maxBodyBytes: Int

    func add(to routes: Hummingbird.Router<GatewayContext>) {
        routes.post("/hooks/:adapter") { request, context in try await handle(request, context) }
        routes.get("/hooks/:adapter") { request, context in try await handle(request, context) }
    }

    private func handle(_ request: Request, _ context: GatewayContext) async throws -> Response {
        var request = request
        let adapterID = try context.parameters.require("adapter")
        guard pipeline.adapters[adapterID] != nil else { throw ServiceError.notFound("adapter '\(adapterID)'") }
        let body = try await request.bodyBytes(limit: maxBodyBytes)
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where query[String(name)] == nil {
            query[String(name)] = String(value)
        }
        let inbound = InboundRequest(
            method: request.method.rawValue, path: request.uri.path, query: query, rawQuery: request.uri.query,
            headers: request.headers.map { (name: $0.name.canonicalName, value: $0.value) }, body: body)
        switch try await pipeline.receive(adapter: adapterID, request: inbound) {
        case .respond(let status, let contentType, let bytes):
            return JSONResponse.bytes(bytes, status: .init(code: status), contentType: contentType)
        case .accepted(let stored, let duplicates, let ignored, let skipped):
            // Written by hand: this answer goes out once per inbound request, and a JSONEncoder costs
            // more than everything else in it.
            let ids = (stored + duplicates).map(String.init).joined(separator: ",")
            var json = #"{"duplicates":\#(duplicates.count),"ignored":\#(ignored),"messages":[\#(ids)],"stored":\#(stored.count)"#
            if !skipped.isEmpty {
                let records = SkippedList(
                    rejected: skipped.filter(\.malformed).map(SkippedList.Record.init),
                    skipped: skipped.filter { !$0.malformed }.map(SkippedList.Record.init))
                let extra = String(decoding: try JSONEncoder().encode(records), as: UTF8.self)
                json += "," + extra.dropFirst().dropLast()
            }
            json += "}"
            return JSONResponse.bytes(Array(json.utf8))
        }
    }
}

/// The records of a batch left out, in a 2xx answer: `rejected` are broken (fix and resend),
/// `skipped` were understood but concern no customer (an internal call).
private struct SkippedList: Encodable {
    struct Record: Encodable {
        var line: Int?
        var item: Int?
        var reason: String

        init(_ record: SkippedRecord) {
            line = record.line
            item = record.item
            reason = record.reason
        }
    }
    var rejected: [Record]
    var skipped: [Record]
}
