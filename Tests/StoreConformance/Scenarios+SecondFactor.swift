import Foundation
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Agents' second factor: enrollment, steps used once, recovery codes used once.
extension StoreConformance {
    static let secondFactorScenarios: [StoreScenario] = [
        StoreScenario("a TOTP enrollment accepts each step once, later steps only, and recovery codes once", on: secondFactor)
    ]

    @Sendable static func secondFactor(_ store: any Store) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.createSession(tokenHash: [1], agent: "ana", csrfToken: "c", at: now)
        #expect(try await store.totp(agent: "ana") == nil)
        try await store.enrollTOTP(agent: "ana", secret: "S3CRET", recoveryCodeHashes: ["h1", "h2"], at: now)
        #expect(try await store.session(tokenHash: [1]) == nil, "enrolling ends the sessions opened without the factor")
        let stored = try #require(try await store.totp(agent: "ana"))
        #expect(stored.secret == "S3CRET" && stored.lastStep == nil)
        #expect(try await store.useTOTPStep(agent: "ana", step: 100))
        #expect(try await store.useTOTPStep(agent: "ana", step: 100) == false, "a code is not accepted twice")
        #expect(try await store.useTOTPStep(agent: "ana", step: 99) == false, "nor an older one")
        #expect(try await store.useTOTPStep(agent: "ana", step: 101))
        #expect(try await store.useTOTPStep(agent: "luis", step: 5) == false, "luis is not enrolled")
        #expect(try await store.recoveryCodesLeft(agent: "ana") == 2)
        #expect(try await store.useRecoveryCode(agent: "ana", hash: "h1", at: now))
        #expect(try await store.useRecoveryCode(agent: "ana", hash: "h1", at: now) == false)
        #expect(try await store.useRecoveryCode(agent: "luis", hash: "h2", at: now) == false)
        #expect(try await store.recoveryCodesLeft(agent: "ana") == 1)
        // Enrolling again replaces secret, steps and codes.
        try await store.enrollTOTP(agent: "ana", secret: "NEW", recoveryCodeHashes: ["h9"], at: now)
        #expect(try await store.totp(agent: "ana")?.lastStep == nil)
        #expect(try await store.useRecoveryCode(agent: "ana", hash: "h2", at: now) == false)
        #expect(try await store.recoveryCodesLeft(agent: "ana") == 1)
        #expect(try await store.removeTOTP(agent: "ana"))
        #expect(try await store.totp(agent: "ana") == nil)
        #expect(try await store.recoveryCodesLeft(agent: "ana") == 0)
        #expect(try await store.removeTOTP(agent: "ana") == false)
    }
}
