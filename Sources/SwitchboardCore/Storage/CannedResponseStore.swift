import Foundation

/// Saved replies and how often each was used.
public protocol CannedResponseStore: Sendable {
    /// The saved replies `audience` may use, by shortcut, then scope (personal, team, everyone).
    func cannedResponses(for audience: CannedResponseAudience) async throws -> [CannedResponse]
    func cannedResponse(_ id: Int64) async throws -> CannedResponse?
    /// Creates (`id` nil) or replaces saved reply `id` with what `plan` returns; `plan` sees the
    /// stored one (throws ``StoreError/missing(_:)`` before planning when `id` names none) and any
    /// other with the same `scope`, `owner` and `shortcut`. One transaction.
    func saveCannedResponse(
        id: Int64?, shortcut: String, scope: CannedResponseScope, owner: String?,
        _ plan: @escaping @Sendable (_ existing: CannedResponse?, _ clash: CannedResponse?) throws -> CannedResponse
    ) async throws -> CannedResponse
    /// Deletes saved reply `id` if `allowed` (which sees it) does not throw; false when there is none.
    func deleteCannedResponse(_ id: Int64, _ allowed: @escaping @Sendable (CannedResponse) throws -> Void) async throws -> Bool
    /// Counts one insertion of saved reply `id`.
    func countCannedResponseUse(_ id: Int64) async throws
}
