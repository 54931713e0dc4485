import Foundation
import Synchronization

/// Small values an adapter keeps across restarts, per adapter and key, in the gateway's store (a
/// rotated OAuth2 refresh token, say). Not for anything that grows with traffic: one row per key.
public protocol AdapterValues: Sendable {
    /// The value last saved under `key` for `adapter`; nil before the first.
    func adapterValue(adapter: String, key: String) async throws -> String?
    /// Saves the value (replacing the previous one) before it returns.
    func saveAdapterValue(_ value: String, adapter: String, key: String, at: Date) async throws
}

/// Where an adapter finds the gateway's ``AdapterValues``. Adapters are built from the
/// configuration before the store is open, so the gateway attaches the store here afterwards;
/// until then (and in tools that never open a store, like `check-config`) values live in memory.
public final class AdapterValuesSlot: Sendable {
    private let attached = Mutex<(any AdapterValues)?>(nil)
    private let fallback = ProcessAdapterValues()

    /// An empty slot.
    public init() {}

    /// Makes `values` the durable home of every adapter's values.
    public func attach(_ values: any AdapterValues) {
        attached.withLock { $0 = values }
    }

    /// The store once attached; values kept for the process's lifetime before.
    public var values: any AdapterValues {
        attached.withLock { $0 } ?? fallback
    }

    /// Whether a durable store is attached.
    public var isDurable: Bool {
        attached.withLock { $0 != nil }
    }
}

/// Values kept in memory for the process's lifetime.
final class ProcessAdapterValues: AdapterValues {
    private let values = Mutex<[String: String]>([:])

    func adapterValue(adapter: String, key: String) async throws -> String? {
        values.withLock { $0[adapter + "\n" + key] }
    }

    func saveAdapterValue(_ value: String, adapter: String, key: String, at: Date) async throws {
        values.withLock { $0[adapter + "\n" + key] = value }
    }
}
