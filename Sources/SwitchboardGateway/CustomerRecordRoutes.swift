import Foundation
import Hummingbird
import SwitchboardCore

/// `GET /api/v1/customers/{id}/export?format=json|html` and `POST /api/v1/customers/{id}/erase`
/// (supervisors): the customer's record, and its erasure.
struct CustomerRecordRoutes {
    let desk: AgentDesk
    let maxBodyBytes: Int

    struct EraseRequest: Decodable { var reason: String }

    struct Erased: Encodable {
        var customer: Int64
        var customers: [Int64]
        var conversations: [Int64]
        var messages: Int
        var identities: Int
        var cancelled_replies: Int
        var deleted_files: Int
        var audit_seq: Int64
    }

    func add(to api: RouterGroup<GatewayContext>) {
        api.get("customers/:id/export") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let id = try customerID(context)
            let format = request.uri.queryParameters.get("format") ?? "json"
            guard format == "json" || format == "html" else { throw ServiceError.badRequest("'format' must be json (a zip with the files) or html") }
            let record = try await desk.customerRecord(id, format: format, for: viewer)
            if format == "html" {
                let page = CustomerRecordFiles.html(record) { file, message in "/api/v1/messages/\(message)/attachments/\(file.index)" }
                var response = JSONResponse.bytes(Array(page.utf8), contentType: "text/html; charset=utf-8")
                response.headers[.contentDisposition] = "inline; filename=\"customer-\(id).html\""
                response.headers[.cacheControl] = "private, no-store"
                // A page of customers' words: nothing in it may run or load anything.
                response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
                response.headers[.xContentTypeOptions] = "nosniff"
                return response
            }
            let zip = try await CustomerRecordFiles.zip(record) { message, index in
                try await desk.recordFile(message: message, index: index, for: viewer)
            }
            var response = JSONResponse.bytes(Array(zip), contentType: "application/zip")
            response.headers[.contentDisposition] = "attachment; filename=\"customer-\(id).zip\""
            response.headers[.cacheControl] = "private, no-store"
            return response
        }
        api.post("customers/:id/erase") { request, context in
            let viewer = Viewer(try context.requireAgent())
            let id = try customerID(context)
            var request = request
            let body = try await request.decodeJSON(EraseRequest.self, limit: maxBodyBytes)
            let outcome = try await desk.eraseCustomer(id, reason: body.reason, by: viewer)
            return JSONResponse.make(
                Erased(
                    customer: id, customers: outcome.customers, conversations: outcome.conversations, messages: outcome.messages,
                    identities: outcome.identities, cancelled_replies: outcome.cancelledDeliveries, deleted_files: outcome.deletedContents,
                    audit_seq: outcome.audit.seq))
        }
    }

    private func customerID(_ context: GatewayContext) throws -> Int64 {
        let raw = try context.parameters.require("id")
        guard let id = Int64(raw), id > 0 else { throw ServiceError.notFound("'\(raw)'") }
        return id
    }
}
