import Foundation

/// The customer's record and its erasure, for supervisors.
extension AgentDesk {
    /// Everything held about the customer (supervisors only); recorded in the audit trail.
    public func customerRecord(_ id: Int64, format: String, for viewer: Viewer) async throws -> CustomerRecord {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors export a customer's record") }
        let record = try await CustomerRecords(store: store, references: references, context: context, now: now).record(
            id, exportedBy: viewer.agentID)
        await audit?.record(
            .customerExported, actor: viewer.agentID, subject: "customer:\(id)",
            details: [
                "format": format, "conversations": String(record.conversations.count), "files": String(record.files.count),
            ])
        return record
    }

    /// The bytes of a file a record names.
    public func recordFile(message: Int64, index: Int, for viewer: Viewer) async throws -> Data? {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors export a customer's record") }
        return try await store.attachment(message: message, index: index)?.content
    }

    /// Erases the customer (supervisors only); agents viewing their conversations are told to reload.
    public func eraseCustomer(_ id: Int64, reason: String, by viewer: Viewer) async throws -> ErasureOutcome {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors erase customers") }
        let outcome = try await CustomerErasure(store: store, context: context, observers: erasureObservers, now: now)
            .erase(id, reason: reason, by: viewer.agentID)
        for conversation in outcome.conversations {
            guard let access = try await store.access(conversation: conversation) else { continue }
            events.publish(.conversationRefresh(conversation: conversation, type: "customer.erased"), conversation: access)
        }
        return outcome
    }
}
