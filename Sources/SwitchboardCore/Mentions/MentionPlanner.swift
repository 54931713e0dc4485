import Foundation

/// Mentions in internal notes, pure: who `@name` names, and what the thread records.
public enum MentionPlanner {
    /// The configured agents `text` mentions (`@luis`, case-insensitive, after a space or the start,
    /// not inside an address such as `ana@example.com`), in order, each once, never the author.
    public static func mentioned(in text: String, directory: AgentDirectory, author: String) -> [Agent] {
        var found: [Agent] = []
        let characters = Array(text)
        var i = 0
        while i < characters.count {
            defer { i += 1 }
            guard characters[i] == "@", i == 0 || !isNameCharacter(characters[i - 1]) else { continue }
            var j = i + 1
            while j < characters.count, isNameCharacter(characters[j]) { j += 1 }
            // A sentence's full stop or a dash after the name is not part of it.
            var name = String(characters[(i + 1)..<j])
            while let last = name.last, ".-_".contains(last) { name.removeLast() }
            guard !name.isEmpty,
                let agent = directory.agents.first(where: { $0.id.lowercased() == name.lowercased() }),
                agent.id != author, !found.contains(where: { $0.id == agent.id })
            else { continue }
            found.append(agent)
        }
        return found
    }

    static func isNameCharacter(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "." || c == "-" || c == "_"
    }

    /// The note, and, when it mentions someone, a line in the thread saying so and who may now read
    /// the conversation because of it.
    public static func note(
        _ state: ConversationState, body: String, author: String, mentioning agents: [Agent], at now: Date
    ) -> NotePlan {
        var messages = [PlannedMessage(direction: .note, body: .fixed(body), author: author, createdAt: now)]
        if !agents.isEmpty {
            let names = agents.map { "\($0.name) (\($0.id))" }
            let newReaders = agents.filter { !$0.isSupervisor && $0.id != state.owner && $0.id != state.assignee }
            var line = "\(author) mentioned \(names.joined(separator: ", ")) in a note"
            if !newReaders.isEmpty {
                line += "; \(newReaders.map(\.id).joined(separator: ", ")) may now read this conversation"
            }
            messages.append(.event(line, author: author, at: now))
        }
        return NotePlan(
            conversation: ConversationPlan(before: state, state: state, messages: messages), mentioned: agents.map(\.id), author: author)
    }
}
