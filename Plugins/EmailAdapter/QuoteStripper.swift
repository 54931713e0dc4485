/// Finds the new part of a reply: the text above the quoted history and the signature. What it
/// cuts is never lost: the whole body is kept beside it (`full_text`) whenever something was cut.
/// When the cut would leave nothing (a forward, a mail that is only a quote), the whole text is the
/// new part.
enum QuoteStripper {
    static func newText(of body: String) -> String {
        split(body).text
    }

    /// The new text, and whether anything (history, signature) was cut from the body to get it.
    static func split(_ body: String) -> (text: String, cut: Bool) {
        let lines = lines(of: body)
        var kept: [String]
        switch historyStart(lines) {
        case .cut(let start):
            kept = Array(lines[..<start])
        case .inline(let attribution):
            // Bottom-posted or answered between the quotes: the new text is what is not quoted.
            kept = lines.enumerated().filter { $0.offset != attribution && !$0.element.trimmed.hasPrefix(">") }.map(\.element)
        case nil:
            kept = Array(lines[..<(trailingQuoteStart(lines) ?? lines.count)])
        }
        if let signature = signatureStart(kept[...]) { kept = Array(kept[..<signature]) }
        let text = kept.joined(separator: "\n").trimmed
        return text.isEmpty ? (body.trimmed, false) : (text, kept.count < lines.count)
    }

    /// The lines between CRLF, CR or LF breaks. Split on the UTF-8 bytes: Foundation's
    /// `replacingOccurrences` goes through NSString on Linux and cost more than the rest of the
    /// stripping together. Every index used is a character boundary (a line break always is one,
    /// and a CRLF pair is skipped as one).
    static func lines(of text: String) -> [String] {
        var lines: [String] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                utf8.formIndex(after: &index)
                continue
            }
            lines.append(String(text[start..<index]))
            utf8.formIndex(after: &index)
            if byte == UInt8(ascii: "\r"), index != utf8.endIndex, utf8[index] == UInt8(ascii: "\n") {
                utf8.formIndex(after: &index)
            }
            start = index
        }
        lines.append(String(text[start...]))
        return lines
    }

    enum History: Equatable {
        /// Everything from this line on is history.
        case cut(Int)
        /// The attribution line of a quote that is answered below or in between.
        case inline(Int)
    }

    /// The first line of a reply header (`On … wrote:`, `-----Original Message-----`, an Outlook
    /// `From:/Sent:` block) whose history is not answered inline below.
    static func historyStart(_ lines: [String]) -> History? {
        for index in lines.indices {
            let line = lines[index].trimmed
            guard !line.isEmpty, !line.hasPrefix(">") else { continue }
            var start: Int?
            if isSeparator(line) {
                start = index
            } else if let attribution = attributionStart(lines, at: index) {
                start = attribution
            } else if isOutlookHeader(lines, at: index) {
                start = outlookBlockStart(lines, at: index)
            }
            guard let start else { continue }
            return isAnsweredInline(lines[(index + 1)...]) ? .inline(start) : .cut(start)
        }
        return nil
    }

    /// Replies written between quoted lines are the new text: cutting there would lose them.
    private static func isAnsweredInline(_ rest: ArraySlice<String>) -> Bool {
        var sawQuote = false
        for line in rest {
            let text = line.trimmed
            if text.hasPrefix(">") {
                sawQuote = true
            } else if sawQuote, !text.isEmpty {
                return !(isSignatureDelimiter(line) || isMobileSignature(text))
            }
        }
        return false
    }

    private static let separators = [
        "original message", "original email message", "ursprüngliche nachricht", "original nachricht",
        "message d'origine", "mensaje original", "messaggio originale", "oorspronkelijk bericht", "reply above this line",
    ]

    private static func isSeparator(_ line: String) -> Bool {
        guard line.hasPrefix("--") || line.hasPrefix("__") || line.hasPrefix("##") else { return false }
        let lower = line.lowercased()
        let words = lower.trimmingCharacters(in: ["-", "_", "#", " "])
        return separators.contains(words)
    }

    /// The verb of an attribution; German puts the author after it (`Am …, schrieb Ann:`).
    private static let attributionVerbs = [
        "wrote", "writes", "schrieb", "écrit", "escribió", "scritto", "schreef", "skrev", "kirjoitti", "napisał",
        "написал", "escreveu",
    ]
    private static let attributionStarts = ["on ", "am ", "le ", "el ", "il ", "op ", "den ", "em ", "w dniu "]

    /// `On Mon, 1 Jan 2024, Ann <ann@example.com> wrote:`, which clients wrap over up to three
    /// lines; returns its first line.
    private static func attributionStart(_ lines: [String], at index: Int) -> Int? {
        var joined = ""
        for offset in 0..<3 where index + offset < lines.count {
            let part = lines[index + offset].trimmed
            if part.isEmpty || part.hasPrefix(">") { break }
            joined += (joined.isEmpty ? "" : " ") + part
            // Only a line ending in a colon can complete one: most lines end here, unlowered.
            guard part.hasSuffix(":") else { continue }
            let lower = joined.lowercased()
            guard lower.count <= 300 else { break }
            if lower.hasSuffix(":"), attributionVerbs.contains(where: { lower.contains($0) }) {
                let startsLikeOne = attributionStarts.contains { lower.hasPrefix($0) }
                let quoteFollows = lines[(index + offset + 1)...].first { !$0.trimmed.isEmpty }?.trimmed.hasPrefix(">") ?? false
                return startsLikeOne || quoteFollows ? index : nil
            }
        }
        return nil
    }

    private static let fromLabels = ["from:", "von:", "de:", "de :", "van:", "da:", "från:", "fra:"]
    private static let headerLabels = [
        "sent:", "date:", "to:", "subject:", "cc:", "gesendet:", "datum:", "an:", "betreff:", "envoyé :", "envoyé:",
        "à :", "objet :", "enviado:", "para:", "asunto:", "verzonden:", "aan:", "onderwerp:", "inviato:", "oggetto:",
    ]

    /// Outlook's quoted header: `From:` followed by at least two of `Sent:`, `To:`, `Subject:` …
    private static func isOutlookHeader(_ lines: [String], at index: Int) -> Bool {
        guard let lower = labelText(lines[index]), fromLabels.contains(where: { lower.hasPrefix($0) }) else { return false }
        var labels = 0
        for line in lines.dropFirst(index + 1).prefix(6) {
            guard let text = labelText(line) else { continue }
            if headerLabels.contains(where: { text.hasPrefix($0) }) { labels += 1 }
        }
        return labels >= 2
    }

    /// The line as header labels are matched (trimmed, lower-cased, Outlook's `*bold*` marks
    /// removed), or nil when it has no colon and so cannot start with a label: that is most lines,
    /// and they are never lower-cased.
    private static func labelText(_ line: String) -> String? {
        guard line.utf8.contains(UInt8(ascii: ":")) else { return nil }
        let lower = line.trimmed.lowercased()
        return lower.utf8.contains(UInt8(ascii: "*")) ? lower.filter { $0 != "*" } : lower
    }

    /// Some webmailers put `Sent:` above `From:`; a rule line often precedes the block.
    private static func outlookBlockStart(_ lines: [String], at index: Int) -> Int {
        var start = index
        while start > 0 {
            guard let previous = labelText(lines[start - 1]), headerLabels.contains(where: { previous.hasPrefix($0) }) else { break }
            start -= 1
        }
        if start > 0, isRule(lines[start - 1].trimmed) { start -= 1 }
        return start
    }

    private static func isRule(_ line: String) -> Bool {
        line.count >= 10 && line.allSatisfy { $0 == "_" || $0 == "-" }
    }

    /// Where a trailing block of `>` lines begins (ignoring blank lines around it).
    private static func trailingQuoteStart(_ lines: [String]) -> Int? {
        var index = lines.count
        var start: Int?
        while index > 0 {
            let text = lines[index - 1].trimmed
            if text.hasPrefix(">") {
                start = index - 1
            } else if !text.isEmpty {
                break
            }
            index -= 1
        }
        return start
    }

    /// The `-- ` delimiter (RFC 3676), or a mobile client's line among the last three lines.
    static func signatureStart(_ lines: ArraySlice<String>) -> Int? {
        // A delimiter on the first line means nothing new was written (a bare forward).
        if let delimiter = lines.lastIndex(where: isSignatureDelimiter) { return delimiter }
        let content = lines.indices.filter { !lines[$0].trimmed.isEmpty }
        for index in content.suffix(3) where isMobileSignature(lines[index].trimmed) {
            return index
        }
        return nil
    }

    private static func isSignatureDelimiter(_ line: String) -> Bool {
        line == "-- " || line == "--" || line == "— "
    }

    private static let mobilePrefixes = [
        "sent from my ", "sent from mail for windows", "sent from outlook", "sent from yahoo mail", "sent from samsung",
        "sent via ", "get outlook for ", "von meinem ", "gesendet von meinem", "envoyé de mon ", "enviado desde mi ",
        "enviado do meu ", "inviato da ", "verzonden vanaf mijn ", "skickat från min ",
    ]

    private static func isMobileSignature(_ line: String) -> Bool {
        guard line.count <= 80 else { return false }
        let lower = line.lowercased()
        return mobilePrefixes.contains { lower.hasPrefix($0) }
    }
}
