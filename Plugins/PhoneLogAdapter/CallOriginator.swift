import Foundation
import SwitchboardAdapterAPI

/// Asks the PBX to place a call-back: the agent's reply on a phone conversation. The request
/// carries the reply's id (ARI `channelId`, `Idempotency-Key`), so a retried delivery does not ring
/// the customer twice where the PBX honours it.
struct CallOriginator: Sendable {
    let settings: OriginateSettings
    let transport: any HTTPTransport
    /// Where Twilio reports the call-back's outcome (this adapter's hook), when it takes Twilio callbacks.
    let statusCallback: String?

    func place(_ message: OutboundMessage, to number: String) async throws -> DeliveryReceipt {
        let request = self.request(message, to: number)
        let response = try await transport.sendForDelivery(request, reaching: "the PBX at \(settings.url)")
        // ARI refuses a second channel with the same id: the first attempt already placed the call.
        if settings.style == .ari, response.status == 409 {
            return DeliveryReceipt(externalID: channelID(message), state: .sent)
        }
        guard (200..<300).contains(response.status) else {
            throw DeliveryFailure.fromHTTP(response, context: "the PBX at \(settings.url)")
        }
        let answer = try? JSONValue.parse(response.body)
        let id = ["/id", "/sid", "/call_id", "/uniqueid"].lazy.compactMap { answer?[pointer: $0]?.nonEmptyText }.first
        // Placed, not yet answered: the agent records the outcome as a note.
        return DeliveryReceipt(externalID: id, state: .sent)
    }

    func request(_ message: OutboundMessage, to number: String) -> HTTPRequest {
        switch settings.style {
        case .ari:
            var query: [(name: String, value: String)] = [
                ("endpoint", settings.endpoint.replacingOccurrences(of: "{number}", with: number)),
                ("extension", settings.extensionName ?? "s"), ("context", settings.context), ("priority", "1"),
                ("channelId", channelID(message)), ("timeout", "30"),
            ]
            if let callerID = settings.callerID { query.append(("callerId", callerID)) }
            let body = JSONValue.object([
                "variables": .object([
                    "SWITCHBOARD_CONVERSATION": .string(String(message.conversationID)),
                    "SWITCHBOARD_REFERENCE": .string(message.reference),
                    "SWITCHBOARD_NOTE": .string(message.text),
                ])
            ])
            return HTTPRequest(
                method: "POST",
                url: settings.url + (settings.url.contains("?") ? "&" : "?") + String(decoding: FormEncoding.encode(query), as: UTF8.self),
                headers: [("Content-Type", "application/json")] + basicAuth(settings.token),
                body: Array((try? JSONEncoder().encode(body)) ?? Data()), timeout: settings.timeout)
        case .twilio:
            var form: [(name: String, value: String)] = [
                ("To", number), ("From", settings.callerID ?? ""), ("Url", settings.callURL ?? ""),
            ]
            if let statusCallback { form.append(("StatusCallback", statusCallback)) }
            let credentials = settings.accountSID.map { "\($0):\(settings.token ?? "")" }
            return HTTPRequest(
                method: "POST", url: settings.url,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")] + basicAuth(credentials),
                body: FormEncoding.encode(form), timeout: settings.timeout)
        case .json:
            var body: [String: JSONValue] = [
                "id": .integer(message.id), "to": .string(number), "conversation": .integer(message.conversationID),
                "reference": .string(message.reference), "note": .string(message.text),
                "in_reply_to": message.inReplyTo.map(JSONValue.string) ?? .null,
            ]
            if let name = message.customerName { body["customer_name"] = .string(name) }
            var headers: [(name: String, value: String)] = [
                ("Content-Type", "application/json"), ("Idempotency-Key", message.idempotencyKey),
            ]
            if let token = settings.token { headers.append(("Authorization", "Bearer \(token)")) }
            return HTTPRequest(
                method: "POST", url: settings.url, headers: headers,
                body: Array((try? JSONEncoder().encode(JSONValue.object(body))) ?? Data()), timeout: settings.timeout)
        }
    }

    private func channelID(_ message: OutboundMessage) -> String { "switchboard-\(message.id)" }

    private func basicAuth(_ credentials: String?) -> [(name: String, value: String)] {
        guard let credentials else { return [] }
        return [("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString())]
    }
}
