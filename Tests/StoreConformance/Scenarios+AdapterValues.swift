import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Adapters' small durable values (a rotated OAuth2 refresh token).
extension StoreConformance {
    static let adapterValueScenarios: [StoreScenario] = [
        StoreScenario("an adapter value is kept per adapter and key, and replaced when saved again", on: adapterValues)
    ]

    @Sendable static func adapterValues(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try await store.adapterValue(adapter: "mail", key: "oauth2") == nil)
        try await store.saveAdapterValue("first", adapter: "mail", key: "oauth2", at: now)
        try await store.saveAdapterValue("other key", adapter: "mail", key: "oauth2 smtp", at: now)
        try await store.saveAdapterValue("other adapter", adapter: "mail-2", key: "oauth2", at: now)
        #expect(try await store.adapterValue(adapter: "mail", key: "oauth2") == "first")
        #expect(try await store.adapterValue(adapter: "mail", key: "oauth2 smtp") == "other key")
        #expect(try await store.adapterValue(adapter: "mail-2", key: "oauth2") == "other adapter")
        // Rotated: the new value replaces the old one, whatever its length and characters.
        let long = String(repeating: "1//0gAbC-_.~é", count: 200)
        try await store.saveAdapterValue(long, adapter: "mail", key: "oauth2", at: now.addingTimeInterval(60))
        #expect(try await store.adapterValue(adapter: "mail", key: "oauth2") == long)
        #expect(try await store.adapterValue(adapter: "mail-2", key: "oauth2") == "other adapter")
    }
}
