internal import CGMime

/// Message-ID handling: stored and compared without angle brackets, sent with them.
enum MessageIDs {
    /// How many ids of a `References` (or `In-Reply-To`) are kept: the thread's root and the
    /// newest ones, as RFC 5322 §3.6.4 trims long chains. Threading needs the nearest few (the core
    /// reads 20); a chain of thousands is an attack on the parser, not a conversation.
    static let maxKept = 100

    /// `<abc@host>` → `abc@host`; surrounding blanks dropped.
    static func bare(_ id: String) -> String {
        var text = Substring(id.trimmed)
        if text.hasPrefix("<") { text = text.dropFirst() }
        if text.hasSuffix(">") { text = text.dropLast() }
        return String(text).trimmed
    }

    /// The ids in `In-Reply-To` or `References` values, in order, without duplicates, at most
    /// ``maxKept`` (the first and the newest). GMime's parser copes with folding, comments and
    /// commas; a value it finds nothing in (a bare id without brackets) is taken as one id when it
    /// looks like one. Linear in the input: duplicates are found through a set.
    static func parseList(_ values: [String], options: OpaquePointer?) -> [String] {
        var ids: [String] = []
        var seen = Set<String>()
        for value in values where !value.trimmed.isEmpty {
            var found: [String] = []
            if let references = g_mime_references_parse(options, value) {
                for index in 0..<g_mime_references_length(references) {
                    if let id = GMimeRuntime.string(g_mime_references_get_message_id(references, index)) {
                        found.append(bare(id))
                    }
                }
                g_mime_references_free(references)
            }
            if found.isEmpty {
                let bareValue = bare(value)
                if bareValue.contains("@"), !bareValue.contains(where: \.isWhitespace) { found.append(bareValue) }
            }
            for id in found where !id.isEmpty && seen.insert(id).inserted { ids.append(id) }
        }
        return trimmed(ids, to: maxKept)
    }

    /// The first id (the thread's root) and the newest `limit - 1`.
    static func trimmed(_ ids: [String], to limit: Int) -> [String] {
        guard ids.count > limit, limit > 1 else { return Array(ids.prefix(limit)) }
        return [ids[0]] + ids.suffix(limit - 1)
    }

    /// The nearest-first list the core matches against: `In-Reply-To`, then `References` newest
    /// to oldest, each id once, at most ``maxKept``.
    static func nearestFirst(inReplyTo: [String], references: [String]) -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        for id in inReplyTo + references.reversed() where seen.insert(id).inserted {
            result.append(id)
            if result.count == maxKept { break }
        }
        return result
    }
}
