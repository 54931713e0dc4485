import Foundation

extension MemoryStore {
    public func enrollTOTP(agent: String, secret: String, recoveryCodeHashes: [String], at: Date) async throws {
        trust.withLock { t in
            t.totp[agent] = StoredTOTP(agentID: agent, secret: secret, lastStep: nil, enrolledAt: at)
            t.unusedCodes[agent] = Set(recoveryCodeHashes)
            t.recoveryCodes[agent] = [:]
        }
        try await deleteSessions(agent: agent)
    }

    public func totp(agent: String) async throws -> StoredTOTP? {
        trust.withLock { $0.totp[agent] }
    }

    public func useTOTPStep(agent: String, step: Int64) async throws -> Bool {
        trust.withLock { t in
            guard let stored = t.totp[agent], stored.lastStep.map({ step > $0 }) ?? true else { return false }
            t.totp[agent]?.lastStep = step
            return true
        }
    }

    public func useRecoveryCode(agent: String, hash: String, at: Date) async throws -> Bool {
        trust.withLock { t in
            guard t.unusedCodes[agent]?.remove(hash) != nil else { return false }
            t.recoveryCodes[agent, default: [:]][hash] = at
            return true
        }
    }

    public func recoveryCodesLeft(agent: String) async throws -> Int {
        trust.withLock { $0.unusedCodes[agent]?.count ?? 0 }
    }

    public func removeTOTP(agent: String) async throws -> Bool {
        trust.withLock { t in
            t.unusedCodes[agent] = nil
            t.recoveryCodes[agent] = nil
            return t.totp.removeValue(forKey: agent) != nil
        }
    }
}
