import Foundation
import PostgresNIO
import SwitchboardAdapterAPI
import SwitchboardCore

/// Adapters' small durable values (one row per adapter and key), shared by every gateway.
extension PostgresStore {
    public func adapterValue(adapter: String, key: String) async throws -> String? {
        try await read { db in
            try await db.row("SELECT value FROM adapter_values WHERE adapter_id = \(adapter) AND key = \(key)")
                .map { row in try row["value"] as String }
        }
    }

    public func saveAdapterValue(_ value: String, adapter: String, key: String, at: Date) async throws {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO adapter_values (adapter_id, key, value, updated_at) VALUES (\(adapter), \(key), \(value), \(at.epoch))
                ON CONFLICT (adapter_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """)
        }
    }
}
