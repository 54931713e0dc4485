internal import CGMime

/// Message-ID handling: stored and compared without angle brackets, sent with them.
enum MessageIDs {
    /// `<abc@host>` → `abc@host`; surrounding blanks dropped.
    static func bare(_ id: String) -> String {
        var text = Substring(id.trimmed)
        if text.hasPrefix("<") { text = text.dropFirst() }
        if text.hasSuffix(">") { text = text.dropLast() }
        return String(text).trimmed
    }

    /// The ids in `In-Reply-To` or `References` values, in order, without duplicates. GMime's
    /// parser copes with folding, comments and commas; a value it finds nothing in (a bare id
    /// without brackets) is taken as one id when it looks like one.
    static func parseList(_ values: [String], options: OpaquePointer?) -> [String] {
        var ids: [String] = []
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
            for id in found where !id.isEmpty && !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    /// The nearest-first list the core matches against: `In-Reply-To`, then `References` newest
    /// to oldest, each id once.
    static func nearestFirst(inReplyTo: [String], references: [String]) -> [String] {
        var result: [String] = []
        for id in inReplyTo + references.reversed() where !result.contains(id) { result.append(id) }
        return result
    }
}
