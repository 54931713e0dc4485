import Foundation

extension MemoryStore {
    public func reportSummary(since: Date, now: Date) async throws -> ReportSummary {
        tables.withLock { t in
            let all = Array(t.conversations.values)
            var byStatus: [String: Int] = [:]
            for c in all { byStatus[c.status.rawValue, default: 0] += 1 }
            let waits = all.filter { $0.createdAt >= since }.compactMap { c in c.answeredAt.map { $0.timeIntervalSince(c.createdAt) } }.sorted()
            func percentile(_ p: Double) -> Double? {
                waits.isEmpty ? nil : waits[min(waits.count - 1, Int((Double(waits.count) * p).rounded(.down)))]
            }
            let open = all.filter { $0.status == .open }
            let agents = t.agents.filter(\.value.configured).sorted { $0.key < $1.key }.map { id, row in
                ReportSummary.AgentFigures(
                    agent: id, status: row.status.rawValue, assigned: all.filter { $0.assignee == id && $0.carriesLoad }.count,
                    owned: all.filter { $0.owner == id && $0.carriesLoad }.count)
            }
            return ReportSummary(
                since: since, now: now, conversations: byStatus, started: all.filter { $0.createdAt >= since }.count,
                resolved: all.filter { $0.status == .resolved && ($0.resolvedAt.map { $0 >= since } ?? false) }.count,
                escalated: open.filter(\.escalated).count, breached: open.filter { $0.slaBreached || $0.resolutionBreached }.count,
                awaitingAnswer: open.filter { $0.awaitingSince != nil }.count, unassigned: open.filter { $0.assignee == nil }.count,
                firstResponseMedianSeconds: percentile(0.5), firstResponseP90Seconds: percentile(0.9), agents: agents)
        }
    }

    public func exportConversations(since: Date, limit: Int) async throws -> [ConversationExportRow] {
        tables.withLock { t in
            t.conversations.values.filter { $0.lastMessageAt >= since }.sorted { $0.id < $1.id }.prefix(limit).map { c in
                let thread = t.messagesOf(c.id)
                return ConversationExportRow(
                    id: c.id, status: c.status.rawValue, customerID: c.customerID, customerName: t.customers[c.customerID]?.name,
                    owner: c.owner, assignee: c.assignee, team: c.team, escalated: c.escalated, createdAt: c.createdAt,
                    answeredAt: c.answeredAt, resolvedAt: c.resolvedAt, lastMessageAt: c.lastMessageAt, firstResponseDue: c.firstResponseDue,
                    resolutionDue: c.resolutionDue, breached: c.slaBreached || c.resolutionBreached,
                    inbound: thread.filter { $0.record.direction == .inbound }.count,
                    outbound: thread.filter { $0.record.direction == .outbound }.count)
            }
        }
    }

    public func addSuggestion(author: String, body: String, conversation: Int64?, at: Date) async throws -> Suggestion {
        tables.withLock { t in
            let suggestion = Suggestion(id: t.id(), author: author, body: body, conversation: conversation, createdAt: at)
            t.suggestions.append(suggestion)
            return suggestion
        }
    }

    public func suggestions(limit: Int) async throws -> [Suggestion] {
        tables.withLock { Array($0.suggestions.reversed().prefix(limit)) }
    }
}
