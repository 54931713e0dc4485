import Foundation

/// The audit trail, for supervisors.
extension AgentDesk {
    /// Entries matching `query`, newest first (supervisors only).
    public func auditEntries(_ query: AuditQuery, for viewer: Viewer) async throws -> [AuditEntry] {
        guard viewer.isSupervisor else { throw ServiceError.forbidden("only supervisors read the audit trail") }
        guard let audit else { throw ServiceError.storageUnavailable("this gateway keeps no audit trail") }
        return try await audit.entries(query)
    }
}
