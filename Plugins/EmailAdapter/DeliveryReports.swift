import Foundation
import SwitchboardAdapterAPI

/// Bounces of our own replies (RFC 3464 delivery status notifications): a `multipart/report` that
/// says `Action: failed` about a message whose id has the shape of ours (`<sb.C.M.TAG@our domain>`,
/// usually in the returned headers part) reports that reply failed, with the server's words, so the
/// agent sees the customer never got it. The id is passed on whole: the core fails a reply only
/// when it is exactly the id that reply was sent with, which a stranger cannot guess.
enum DeliveryReports {
    static func failure(in raw: [UInt8], contentType: String, ownDomain: String) -> DeliveryStatusUpdate? {
        guard contentType == "multipart/report" else { return nil }
        let lines = String(decoding: raw.prefix(2 << 20), as: UTF8.self).split(whereSeparator: \.isNewline)
        guard let action = field("Action", in: lines), action.lowercased().hasPrefix("failed") else { return nil }
        guard let ours = ownMessageID(in: lines, domain: ownDomain) else { return nil }
        let status = field("Status", in: lines)
        let diagnostic = field("Diagnostic-Code", in: lines)
        let reason = ["bounced", status, diagnostic].compactMap { $0 }.joined(separator: ": ")
        return DeliveryStatusUpdate(externalID: ours, state: .failed, error: String(reason.prefix(500)))
    }

    /// The first `Name: value` line with this name (case-insensitive), value trimmed.
    private static func field(_ name: String, in lines: [Substring]) -> String? {
        let lower = name.lowercased()
        for line in lines {
            guard line.utf8.count > name.utf8.count + 1, line.prefix(name.count).lowercased() == lower,
                line.dropFirst(name.count).first == ":"
            else { continue }
            let value = line.dropFirst(name.count + 1).prefix(1000).trimmingCharacters(in: .whitespaces)
            if !value.isEmpty { return value }
        }
        return nil
    }

    /// The id of ours the report is about: the one on a `Message-ID:` line (the returned headers
    /// or message) first, since the `References` returned with it name our earlier mail too; else
    /// the first one anywhere (some servers quote it only in their text).
    private static func ownMessageID(in lines: [Substring], domain: String) -> String? {
        var anywhere: String?
        for line in lines {
            guard line.utf8.contains(UInt8(ascii: "<")) else { continue }
            let ids = bracketedIDs(in: line).filter { OwnMessageIDs.shape(of: $0, domain: domain) == .tagged }
            guard let first = ids.first else { continue }
            let name = line.prefix(40).prefix(while: { $0 != ":" }).lowercased()
            if name.hasSuffix("message-id"), line.dropFirst(name.count).first == ":" { return first }
            if anywhere == nil { anywhere = first }
        }
        return anywhere
    }

    /// What stands between `<` and the next `>` on one line, when it is at most 200 characters
    /// and looks like an id (one pass: every character is looked at once).
    private static func bracketedIDs(in line: Substring) -> [String] {
        var ids: [String] = []
        var start: Substring.Index?
        var length = 0
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == "<" {
                start = line.index(after: index)
                length = 0
            } else if character == ">", let from = start {
                if length <= 200, line[from].lowercased() == "s" { ids.append(String(line[from..<index]).trimmed) }
                start = nil
            } else if start != nil {
                length += 1
            }
            index = line.index(after: index)
        }
        return ids
    }
}

extension EmailDecoder {
    /// Everything one raw message tells: the message itself, and — for a bounce of one of our
    /// replies — that reply's failure (the bounce is then filed in that reply's thread).
    public static func events(
        _ raw: [UInt8], ownAddress: String, ownDomain: String, limits: AttachmentLimits = AttachmentLimits(),
        authentication: SenderAuthentication? = nil, envelope: MailEnvelope? = nil, adapter: String = "email"
    ) throws(InboundError) -> [InboundEvent] {
        var (message, mail) = try decodeWithMail(
            raw, ownAddress: ownAddress, limits: limits, authentication: authentication, envelope: envelope, adapter: adapter)
        guard let failure = DeliveryReports.failure(in: raw, contentType: mail.contentType, ownDomain: ownDomain) else {
            return [.message(message)]
        }
        if !message.references.contains(failure.externalID) { message.references.append(failure.externalID) }
        return [.message(message), .deliveryStatus(failure)]
    }
}
