import Foundation
import SwitchboardAdapterAPI

/// Bounces of our own replies (RFC 3464 delivery status notifications): a `multipart/report` that
/// says `Action: failed` about a message whose id is one of ours (`<sb.C.M@our domain>`, usually in
/// the returned headers part) marks that reply failed, with the server's words, so the agent sees
/// the customer never got it.
enum DeliveryReports {
    static func failure(in raw: [UInt8], contentType: String, ownDomain: String) -> DeliveryStatusUpdate? {
        guard contentType == "multipart/report" else { return nil }
        let text = String(decoding: raw.prefix(2 << 20), as: UTF8.self)
        guard let action = field("Action", in: text), action.lowercased().hasPrefix("failed") else { return nil }
        guard let ours = ownMessageID(in: text, domain: ownDomain) else { return nil }
        let status = field("Status", in: text)
        let diagnostic = field("Diagnostic-Code", in: text)
        let reason = ["bounced", status, diagnostic].compactMap { $0 }.joined(separator: ": ")
        return DeliveryStatusUpdate(externalID: ours, state: .failed, error: String(reason.prefix(500)))
    }

    /// The first `Name: value` line with this name (case-insensitive), value trimmed.
    private static func field(_ name: String, in text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            guard line.count > name.count + 1, line.prefix(name.count).lowercased() == name.lowercased(),
                line.dropFirst(name.count).first == ":"
            else { continue }
            let value = line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { return value }
        }
        return nil
    }

    /// `sb.<digits>.<digits>@domain` inside angle brackets.
    private static func ownMessageID(in text: String, domain: String) -> String? {
        let suffix = "@" + domain.lowercased() + ">"
        var rest = text[...]
        while let start = rest.range(of: "<sb.") {
            let candidate = rest[start.upperBound...].prefix(80)
            if let end = candidate.range(of: ">") {
                let inside = "sb." + candidate[..<end.lowerBound]
                let parts = inside.split(separator: "@", maxSplits: 1)
                if parts.count == 2, (inside + ">").lowercased().hasSuffix(suffix) {
                    let numbers = parts[0].dropFirst(3).split(separator: ".")
                    if numbers.count == 2, numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
                        return String(inside)
                    }
                }
            }
            rest = rest[start.upperBound...]
        }
        return nil
    }
}

extension EmailDecoder {
    /// Everything one raw message tells: the message itself, and — for a bounce of one of our
    /// replies — that reply's failure (the bounce is then filed in that reply's thread).
    public static func events(
        _ raw: [UInt8], ownAddress: String, ownDomain: String, limits: AttachmentLimits = AttachmentLimits()
    ) throws(InboundError) -> [InboundEvent] {
        var (message, mail) = try decodeWithMail(raw, ownAddress: ownAddress, limits: limits)
        guard let failure = DeliveryReports.failure(in: raw, contentType: mail.contentType, ownDomain: ownDomain) else {
            return [.message(message)]
        }
        if !message.references.contains(failure.externalID) { message.references.append(failure.externalID) }
        return [.message(message), .deliveryStatus(failure)]
    }
}
