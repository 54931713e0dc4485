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
        case .accepted(let answer):
            return JSONResponse.bytes(Self.json(answer))
        }
    }

    /// The 2xx answer: `{"duplicates","ignored","messages","stored"}` always; `status_updates`
    /// (reports applied to replies), `ignored_reasons` (`[{"reason","count"}]`: what was not stored
    /// and why) and a batch's `rejected`/`skipped` records only when there are any.
    /// Written by hand: this answer goes out once per inbound request, and a JSONEncoder costs
    /// more than everything else in it.
    static func json(_ answer: InboundAcceptance) -> [UInt8] {
        let ids = (answer.stored + answer.duplicates).map(String.init).joined(separator: ",")
        var json = #"{"duplicates":\#(answer.duplicates.count),"ignored":\#(answer.ignoredTotal),"#
        if !answer.ignored.isEmpty {
            let reasons = answer.ignored.map { #"{"count":\#($0.count),"reason":"\#(Self.code($0.reason))"}"# }
            json += #""ignored_reasons":[\#(reasons.joined(separator: ","))],"#
        }
        json += #""messages":[\#(ids)],"#
        if answer.statusUpdates > 0 { json += #""status_updates":\#(answer.statusUpdates),"# }
        json += #""stored":\#(answer.stored.count)"#
        if !answer.skipped.isEmpty {
            let records = SkippedList(
                rejected: answer.skipped.filter(\.malformed).map(SkippedList.Record.init),
                skipped: answer.skipped.filter { !$0.malformed }.map(SkippedList.Record.init))
            let extra = String(decoding: (try? JSONEncoder().encode(records)) ?? Data("{}".utf8), as: UTF8.self)
            if extra.count > 2 { json += "," + extra.dropFirst().dropLast() }
        }
        json += "}"
        return Array(json.utf8)
    }

    /// Reasons are codes of letters, digits, `_` and `-` (``IgnoreReason``): nothing to escape in
    /// JSON; anything else is dropped rather than trusted.
    private static func code(_ reason: String) -> String {
        String(
            String.UnicodeScalarView(
                reason.unicodeScalars.filter {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-")
                }))
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
