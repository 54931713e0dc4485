import Foundation

/// An agent's TOTP enrollment as stored.
public struct StoredTOTP: Sendable, Equatable {
    public var agentID: String
    /// The shared secret (ASCII; its UTF-8 bytes are the HMAC key).
    public var secret: String
    /// The latest time step a code was accepted for: no code of it or before is accepted again.
    public var lastStep: Int64?
    public var enrolledAt: Date

    public init(agentID: String, secret: String, lastStep: Int64?, enrolledAt: Date) {
        self.agentID = agentID
        self.secret = secret
        self.lastStep = lastStep
        self.enrolledAt = enrolledAt
    }
}

/// Agents' second factor for console password sign-in: a TOTP secret and single-use recovery codes
/// (stored as hashes only).
public protocol SecondFactorStore: Sendable {
    /// Enrolls `agent`, replacing an earlier enrollment and its recovery codes, and ends the agent's
    /// console sessions (they were opened without this factor).
    func enrollTOTP(agent: String, secret: String, recoveryCodeHashes: [String], at: Date) async throws
    func totp(agent: String) async throws -> StoredTOTP?
    /// Records `step` as used when it is later than every step used before; false when it is not
    /// (the code was used already: a replay). Atomic, so two gateways cannot both accept one code.
    func useTOTPStep(agent: String, step: Int64) async throws -> Bool
    /// Marks the unused recovery code with this hash used; false when there is none.
    func useRecoveryCode(agent: String, hash: String, at: Date) async throws -> Bool
    /// How many recovery codes the agent has not used.
    func recoveryCodesLeft(agent: String) async throws -> Int
    /// Removes the agent's second factor and recovery codes; false when there was none.
    @discardableResult func removeTOTP(agent: String) async throws -> Bool
}
