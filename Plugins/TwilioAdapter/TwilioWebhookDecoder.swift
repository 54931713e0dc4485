import Foundation
import SwitchboardAdapterAPI

/// Turns the parameters of one Twilio Messaging webhook into events. A pure function of the
/// parameters, so it is tested on the corpus files directly.
///
/// - An incoming message (`SmsStatus=received`, or no status at all) is a customer message from
///   `From` in the `phone` identity namespace, so the same number on WhatsApp or voice is the
///   same customer.
/// - A status callback (`MessageStatus`) about a reply we sent becomes a delivery report;
///   intermediate states (`queued`, `sending`, `accepted` …) carry no news and are ignored
///   (`intermediate_status`, said in the answer and the metrics).
public enum TwilioWebhookDecoder {
    /// The events of one webhook. Throws `.malformed` when the parameters are no Twilio message
    /// webhook.
    public static func decode(_ params: [(name: String, value: String)]) throws(InboundError) -> [InboundEvent] {
        var first: [String: String] = [:]
        for pair in params where first[pair.name] == nil { first[pair.name] = pair.value }
        let status = (first["MessageStatus"] ?? first["SmsStatus"])?.lowercased()
        if let status, status != "received", status != "receiving" {
            return [try statusUpdate(first, status: status).map(InboundEvent.deliveryStatus) ?? .ignored(reason: .intermediateStatus)]
        }
        return [.message(try message(first))]
    }

    static func message(_ p: [String: String]) throws(InboundError) -> InboundMessage {
        guard let sid = nonEmpty(p["MessageSid"]) ?? nonEmpty(p["SmsSid"]) ?? nonEmpty(p["SmsMessageSid"]) else {
            throw .malformed("not a Twilio message webhook: 'MessageSid' is missing")
        }
        guard let from = nonEmpty(p["From"]) else { throw .malformed("'From' is missing") }
        var metadata: [String: String] = [:]
        metadata["to"] = nonEmpty(p["To"])
        metadata["from_country"] = nonEmpty(p["FromCountry"])
        metadata["from_state"] = nonEmpty(p["FromState"])
        metadata["from_city"] = nonEmpty(p["FromCity"])
        metadata["segments"] = nonEmpty(p["NumSegments"])
        metadata["messaging_service"] = nonEmpty(p["MessagingServiceSid"])
        return InboundMessage(
            externalID: sid,
            from: ChannelIdentity(channel: "phone", address: from),
            customerName: nil,
            text: p["Body"] ?? "",
            // Twilio sends no timestamp: the core uses the arrival time.
            sentAt: nil,
            metadata: metadata,
            attachments: media(p))
    }

    /// `MediaUrl{i}` / `MediaContentType{i}` for i < `NumMedia`, and any beyond it that were
    /// sent anyway: media are never dropped because a count disagrees.
    static func media(_ p: [String: String]) -> [Attachment] {
        // Never more than there are parameters: a huge NumMedia would spin here for ever.
        let declared = min(Int(p["NumMedia"] ?? "") ?? 0, p.count)
        var found: [Attachment] = []
        var index = 0
        while index < declared || p["MediaUrl\(index)"] != nil {
            defer { index += 1 }
            guard let url = nonEmpty(p["MediaUrl\(index)"]) else { continue }
            let type = nonEmpty(p["MediaContentType\(index)"])
            let kind =
                switch type?.split(separator: "/").first {
                case "image": "image"
                case "video": "video"
                case "audio": "audio"
                default: type == "text/vcard" || type == "text/x-vcard" ? "contact" : "document"
                }
            // The media SID (ME…) is the last path segment; fetching needs the account's credentials.
            let sid = url.split(separator: "/").last.map(String.init).flatMap { $0.hasPrefix("ME") ? $0 : nil }
            found.append(Attachment(kind: kind, mimeType: type, url: url, platformID: sid))
        }
        return found
    }

    static func statusUpdate(_ p: [String: String], status: String) throws(InboundError) -> DeliveryStatusUpdate? {
        guard let sid = nonEmpty(p["MessageSid"]) ?? nonEmpty(p["SmsSid"]) else {
            throw .malformed("a status callback without 'MessageSid'")
        }
        let state: DeliveryStatusUpdate.State
        switch status {
        case "sent": state = .sent
        case "delivered": state = .delivered
        case "read": state = .read
        case "undelivered", "failed", "canceled": state = .failed
        default: return nil
        }
        return DeliveryStatusUpdate(externalID: sid, state: state, error: state == .failed ? failureReason(p, status: status) : nil)
    }

    /// `undelivered: error 30006 (landline or unreachable carrier)`.
    static func failureReason(_ p: [String: String], status: String) -> String {
        guard let code = nonEmpty(p["ErrorCode"]) else { return status }
        let meaning = nonEmpty(p["ErrorMessage"]) ?? knownErrors[code]
        return "\(status): error \(code)" + (meaning.map { " (\($0))" } ?? "")
    }

    /// The delivery errors agents meet most, so they need not look the code up.
    static let knownErrors: [String: String] = [
        "21610": "the recipient replied STOP and is unsubscribed",
        "21614": "not a mobile number",
        "30003": "unreachable destination handset",
        "30004": "message blocked",
        "30005": "unknown destination handset",
        "30006": "landline or unreachable carrier",
        "30007": "filtered by the carrier as spam",
        "30008": "unknown error",
        "30034": "sender number not registered for A2P 10DLC",
    ]

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value = value?.trimmed, !value.isEmpty else { return nil }
        return value
    }
}
