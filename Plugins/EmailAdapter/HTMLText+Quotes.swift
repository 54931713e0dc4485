extension HTMLText {
    /// Which part of an HTML reply is quoted history, so its text gets the `> ` the quote stripper
    /// cuts: `<blockquote>`, the containers mail clients wrap the old mail in (Gmail's
    /// `gmail_quote`, Thunderbird's `moz-cite-prefix`, Yahoo's `yahoo_quoted`, new Outlook's
    /// reference container), and everything after the marker where Outlook starts the old mail as
    /// siblings of the reply (`divRplyFwdMsg`, `appendonsend`, the desktop's border-top block).
    /// A container whose first text is a forward's banner stays unquoted: a forward is new to us.
    /// Each tag costs O(1): containers are matched by the depth of their own element name.
    struct QuoteTracker {
        private var open: [String: Int] = [:]
        private var containers: [String: [(depth: Int, quoted: Bool)]] = [:]
        private var quoted = 0
        private var restQuoted = false
        private var pendingBanner: (name: String, index: Int, depth: Int)?

        /// How many quote levels the text at this point is in.
        var depth: Int { quoted + (restQuoted ? 1 : 0) }

        private static let tracked: Set<String> = ["blockquote", "div", "span"]
        private static let containerClasses: Set<String> = [
            "gmail_quote", "gmail_quote_container", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote", "zmail_extra",
        ]
        private static let containerIDs: Set<String> = ["mail-editor-reference-message-container"]
        private static let restIDs: Set<String> = ["divrplyfwdmsg", "appendonsend", "olk_src_body_section", "stopspelling"]

        mutating func opened(_ name: String, attributes: [String: String]) {
            if Self.startsRest(attributes) { restQuoted = true }
            guard Self.tracked.contains(name) else { return }
            let depth = (open[name] ?? 0) + 1
            open[name] = depth
            guard name == "blockquote" || Self.isContainer(attributes) else { return }
            containers[name, default: []].append((depth, true))
            quoted += 1
            pendingBanner = (name, containers[name]!.count - 1, depth)
        }

        mutating func closed(_ name: String) {
            guard Self.tracked.contains(name), let depth = open[name], depth > 0 else { return }
            if let last = containers[name]?.last, last.depth == depth {
                containers[name]!.removeLast()
                if last.quoted { quoted -= 1 }
            }
            open[name] = depth - 1
        }

        /// Sees the text before it is written: the first text of a container decides whether it
        /// is a forward.
        mutating func text(_ text: String) {
            guard let pending = pendingBanner, !text.trimmed.isEmpty else { return }
            pendingBanner = nil
            // No copy of the stack is held while it is changed: it would be copied on every banner.
            guard pending.index < containers[pending.name]?.count ?? 0, let entry = containers[pending.name]?[pending.index],
                entry.depth == pending.depth, entry.quoted, QuoteStripper.isForwardBanner(text.trimmed)
            else { return }
            containers[pending.name]![pending.index].quoted = false
            quoted -= 1
        }

        private static func isContainer(_ attributes: [String: String]) -> Bool {
            if let classes = attributes["class"], classes.split(separator: " ").contains(where: { containerClasses.contains($0.lowercased()) }) {
                return true
            }
            guard let id = attributes["id"]?.lowercased() else { return false }
            return containerIDs.contains(id) || id.hasPrefix("yahoo_quoted")
        }

        private static func startsRest(_ attributes: [String: String]) -> Bool {
            if let id = attributes["id"]?.lowercased() {
                if restIDs.contains(id.hasPrefix("x_") ? String(id.dropFirst(2)) : id) { return true }
            }
            if let classes = attributes["class"], classes.lowercased().contains("outlookmessageheader") { return true }
            guard let style = attributes["style"], style.utf8.count < 2_000 else { return false }
            let compact = style.lowercased().filter { $0 != " " }
            return compact.contains("border-top:solid#e1e1e1") || compact.contains("border-top:solid#b5c4df")
        }
    }
}
