import Foundation
import SwitchboardAdapterAPI

extension MemoryStore {
    /// An adapter's value, by adapter and key.
    struct AdapterValueKey: Hashable {
        var adapter: String
        var key: String
    }

    public func adapterValue(adapter: String, key: String) async throws -> String? {
        adapterValueTable.withLock { $0[AdapterValueKey(adapter: adapter, key: key)] }
    }

    public func saveAdapterValue(_ value: String, adapter: String, key: String, at: Date) async throws {
        adapterValueTable.withLock { $0[AdapterValueKey(adapter: adapter, key: key)] = value }
    }
}
