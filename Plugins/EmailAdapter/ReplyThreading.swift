/// The subject and threading headers of a reply, derived from the message it answers.
enum ReplyThreading {
    /// `Re: <answered subject> [SB-000123]`: no second `Re:` (nor one after a German `AW:` or a
    /// Nordic `SV:`), and the reference only when it is not already there. Without an answered
    /// subject: `Your request [SB-000123]`.
    static func subject(answered: String?, reference: String) -> String {
        let base = (answered.map(MimeParser.cleanHeaderText) ?? "").trimmed
        guard !base.isEmpty else { return "Your request [\(reference)]" }
        let lower = base.lowercased()
        var subject = replyPrefixes.contains(where: { lower.hasPrefix($0) }) ? base : "Re: " + base
        if subject.range(of: reference, options: .caseInsensitive) == nil { subject += " [\(reference)]" }
        return subject
    }

    private static let replyPrefixes = ["re:", "re :", "aw:", "sv:", "antw:", "vs:"]

    /// The answered message's real Message-ID: ids we synthesised (`sha256:…`) never went over
    /// the wire, so they must not appear in `In-Reply-To`.
    static func answeredID(inReplyTo: String?, metadata: [String: String]) -> String? {
        let candidate = metadata["message_id"] ?? inReplyTo
        guard let id = candidate.map(MessageIDs.bare), id.contains("@"), !id.hasPrefix("sha256:"), !id.contains(where: \.isWhitespace)
        else { return nil }
        return id
    }

    /// The answered message's `References` plus its own id. Long chains keep the first id (the
    /// thread's root) and the most recent ones, as RFC 5322 §3.6.4 suggests.
    static func references(answeredID: String?, metadata: [String: String]) -> [String] {
        var ids: [String] = []
        var seen = Set<String>()
        let earlier = (metadata["references"] ?? "").split(whereSeparator: \.isWhitespace).map { MessageIDs.bare(String($0)) }
        for id in earlier + [answeredID].compactMap({ $0 }) where !id.isEmpty && seen.insert(id).inserted { ids.append(id) }
        return MessageIDs.trimmed(ids, to: maxReferences)
    }

    static let maxReferences = 20
}
