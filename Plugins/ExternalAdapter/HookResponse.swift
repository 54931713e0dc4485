import Foundation
import SwitchboardAdapterAPI

/// Turns the process's `response` to a forwarded `/hooks/{id}` request into what the gateway answers.
///
/// - 2xx with `inbound` (a list, possibly empty): the gateway stores those messages and status
///   reports first and answers with its usual `{"stored", "duplicates", …}` JSON — so a 2xx still
///   means "durably stored", and the platform retries otherwise. `{"type":"ignored","reason"}`
///   items say what the process deliberately did not pass on, counted like the built-in adapters'.
/// - 400, 401, 403 and 405 become the gateway's JSON errors (counted as refusals), with the
///   process's reason.
/// - Anything else (a handshake's challenge, a 404 …) is answered as the process wrote it.
package enum HookResponse {
    package static func result(_ json: JSONValue, identity: String) throws -> InboundResult {
        var status = 200
        if let value = json["status"], !value.isNull {
            guard let code = value.int64Value, (100...599).contains(code) else {
                return adapterError("the adapter answered with an invalid status")
            }
            status = Int(code)
        }
        if (200..<300).contains(status), case .array(let items)? = json["inbound"] {
            do {
                return .events(
                    try items.map { item throws(ProtocolViolation) in
                        switch item["type"]?.stringValue {
                        case "status": .deliveryStatus(try AdapterMessage.status(item))
                        case "ignored": .ignored(reason: AdapterMessage.ignoreReason(item))
                        default: .message(try AdapterMessage.inbound(item, identity: identity))
                        }
                    })
            } catch {
                return adapterError("the adapter answered with an invalid inbound message: \(error)")
            }
        }
        let (body, contentType) = self.body(json)
        switch status {
        case 400: throw InboundError.malformed(reason(body, default: "the adapter refused the request as malformed"))
        case 401: throw InboundError.unauthorized(reason(body, default: "the adapter refused the request's signature"))
        case 403: throw InboundError.forbidden(reason(body, default: "the adapter refused the request"))
        case 405: throw InboundError.methodNotAllowed(reason(body, default: "method not allowed"))
        default: return .respond(status: status, contentType: contentType, body: body)
        }
    }

    /// The body as bytes with its content type: `body_base64`, a `body` string, or a `body` JSON
    /// value (encoded, as `application/json`).
    static func body(_ json: JSONValue) -> ([UInt8], String) {
        let declared = json["content_type"]?.stringValue
        if let encoded = json["body_base64"]?.stringValue, let data = Data(base64Encoded: encoded) {
            return (Array(data), declared ?? "application/octet-stream")
        }
        switch json["body"] {
        case nil, .null?: return ([], declared ?? "text/plain; charset=utf-8")
        case .string(let text)?: return (Array(text.utf8), declared ?? "text/plain; charset=utf-8")
        case let value?: return (value.line, declared ?? "application/json")
        }
    }

    /// A reason for the gateway's error JSON: `{"error": {"message"}}`, `{"error": "…"}` or the text.
    private static func reason(_ body: [UInt8], default fallback: String) -> String {
        if let json = try? JSONValue.parse(body) {
            if let message = json["error"]?["message"]?.text ?? json["error"]?.stringValue ?? json["message"]?.stringValue {
                return message
            }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmed
        return text.isEmpty || text.hasPrefix("{") ? fallback : text
    }

    /// 503: the process is down or did not answer in time, so the platform retries later.
    static func unavailable(_ reason: String) -> InboundResult {
        errorJSON(status: 503, code: "adapter_unavailable", message: reason)
    }

    /// 502: the process answered something the gateway cannot use (a bug in the adapter). The
    /// platform retries, as it would after any server error.
    static func adapterError(_ reason: String) -> InboundResult {
        errorJSON(status: 502, code: "adapter_error", message: reason)
    }

    private static func errorJSON(status: Int, code: String, message: String) -> InboundResult {
        let body = JSONValue.object(["error": .object(["code": .string(code), "message": .string(message)])])
        return .respond(status: status, contentType: "application/json", body: body.line)
    }
}
