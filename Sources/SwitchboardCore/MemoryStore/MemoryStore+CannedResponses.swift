import Foundation

extension MemoryStore {
    public func cannedResponses(for audience: CannedResponseAudience) async throws -> [CannedResponse] {
        cannedTable.withLock { table in
            table.rows.values.filter(audience.reaches).sorted(by: CannedResponse.listOrder)
        }
    }

    public func cannedResponse(_ id: Int64) async throws -> CannedResponse? {
        cannedTable.withLock { $0.rows[id] }
    }

    public func saveCannedResponse(
        id: Int64?, shortcut: String, scope: CannedResponseScope, owner: String?,
        _ plan: @escaping @Sendable (CannedResponse?, CannedResponse?) throws -> CannedResponse
    ) async throws -> CannedResponse {
        try cannedTable.withLock { table in
            let existing = try id.map { id in
                guard let row = table.rows[id] else { throw StoreError.missing("saved reply \(id)") }
                return row
            }
            let clash = table.rows.values.first { $0.scope == scope && $0.owner == owner && $0.shortcut == shortcut && $0.id != existing?.id }
            var saved = try plan(existing, clash)
            if existing == nil {
                table.nextID += 1
                saved.id = table.nextID
            }
            saved.uses = existing?.uses ?? 0
            table.rows[saved.id] = saved
            return saved
        }
    }

    public func deleteCannedResponse(_ id: Int64, _ allowed: @escaping @Sendable (CannedResponse) throws -> Void) async throws -> Bool {
        try cannedTable.withLock { table in
            guard let row = table.rows[id] else { return false }
            try allowed(row)
            table.rows[id] = nil
            return true
        }
    }

    public func countCannedResponseUse(_ id: Int64) async throws {
        cannedTable.withLock { table in
            let uses = table.rows[id]?.uses ?? 0
            table.rows[id]?.uses = uses + 1
        }
    }
}

/// The memory engine's saved replies.
struct CannedTable {
    var nextID: Int64 = 0
    var rows: [Int64: CannedResponse] = [:]
}

extension CannedResponse {
    /// How every engine lists saved replies: by shortcut, then personal, team, everyone.
    public static func listOrder(_ a: CannedResponse, _ b: CannedResponse) -> Bool {
        func rank(_ s: CannedResponseScope) -> Int {
            switch s {
            case .personal: 0
            case .team: 1
            case .everyone: 2
            }
        }
        return (a.shortcut, rank(a.scope), a.scope.text, a.id) < (b.shortcut, rank(b.scope), b.scope.text, b.id)
    }
}
