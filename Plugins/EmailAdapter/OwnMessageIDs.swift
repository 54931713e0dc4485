/// The Message-IDs of our own mail: `sb.<conversation>.<message>.<tag>@<domain>`, where the tag is
/// the core's unguessable value for that message (``OutboundMessage/tag``).
///
/// Before tags the id was `sb.<conversation>.<message>@<domain>`: anyone could guess it, and a
/// forged bounce naming it failed a reply, a forged auto-reply naming it joined a customer's thread.
/// So the adapter never reads numbers out of an id, and never takes an id of that old shape as
/// ours: bounces and threading go by the whole id, which the core matches against the exact ids
/// it stored for the mail it sent.
enum OwnMessageIDs {
    /// Without angle brackets. The same for every attempt at one message (the tag is stable), so
    /// the customer's client sees one mail however often it was retried.
    static func make(conversationID: Int64, messageID: Int64, tag: String, domain: String) -> String {
        let safe = String(tag.unicodeScalars.filter { $0.isASCII && (isAlphanumeric($0) || $0 == "-" || $0 == "_") }.prefix(64).map(Character.init))
        // An empty tag only comes from tests that build messages by hand.
        return safe.isEmpty ? "sb.\(conversationID).\(messageID)@\(domain)" : "sb.\(conversationID).\(messageID).\(safe)@\(domain)"
    }

    enum Shape: Equatable {
        /// `sb.C.M.TAG@domain`: possibly ours; only the core knows which message it is.
        case tagged
        /// `sb.C.M@domain`: the guessable shape of before; never trusted.
        case untagged
    }

    /// The shape of `id` (without brackets) when it claims to be ours, else nil. Shape only: the
    /// parts are not read.
    static func shape(of id: String, domain: String) -> Shape? {
        let lower = id.lowercased()
        let suffix = "@" + domain.lowercased()
        guard lower.hasPrefix("sb."), lower.hasSuffix(suffix), lower.count > 3 + suffix.count else { return nil }
        let local = lower.dropFirst(3).dropLast(suffix.count)
        let parts = local.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        switch parts.count {
        case 2: return .untagged
        case 3...: return .tagged
        default: return nil
        }
    }

    /// `ids` without those of the old, guessable shape: they cannot prove the message answers us.
    static func withoutUntagged(_ ids: [String], domain: String) -> [String] {
        ids.filter { shape(of: $0, domain: domain) != .untagged }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
