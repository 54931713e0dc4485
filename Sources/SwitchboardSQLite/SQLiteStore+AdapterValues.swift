import Foundation
import GRDB
import SwitchboardAdapterAPI
import SwitchboardCore

/// Adapters' small durable values (one row per adapter and key).
extension SQLiteStore {
    public func adapterValue(adapter: String, key: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM adapter_values WHERE adapter_id = ? AND key = ?", arguments: [adapter, key])
        }
    }

    public func saveAdapterValue(_ value: String, adapter: String, key: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO adapter_values (adapter_id, key, value, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(adapter_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """, arguments: [adapter, key, value, at.epoch])
        }
    }
}
