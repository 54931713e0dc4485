import Foundation
import Synchronization

extension MemoryStore {
    struct Sessions {
        var passwords: [String: StoredPassword] = [:]
        var sessions: [[UInt8]: ConsoleSession] = [:]
    }

    public func setPassword(agent: String, hash: [UInt8], salt: [UInt8], iterations: Int, at: Date) async throws {
        sessionTable.withLock { s in
            s.passwords[agent] = StoredPassword(agentID: agent, hash: hash, salt: salt, iterations: iterations)
            s.sessions = s.sessions.filter { $0.value.agentID != agent }
        }
    }

    public func password(agent: String) async throws -> StoredPassword? {
        sessionTable.withLock { $0.passwords[agent] }
    }

    public func createSession(tokenHash: [UInt8], agent: String, csrfToken: String, tokenFingerprint: [UInt8]?, at: Date) async throws {
        sessionTable.withLock {
            $0.sessions[tokenHash] = ConsoleSession(
                agentID: agent, csrfToken: csrfToken, createdAt: at, lastSeenAt: at, tokenFingerprint: tokenFingerprint)
        }
    }

    public func session(tokenHash: [UInt8]) async throws -> ConsoleSession? {
        sessionTable.withLock { $0.sessions[tokenHash] }
    }

    public func touchSession(tokenHash: [UInt8], at: Date) async throws {
        sessionTable.withLock { $0.sessions[tokenHash]?.lastSeenAt = at }
    }

    public func deleteSession(tokenHash: [UInt8]) async throws {
        sessionTable.withLock { _ = $0.sessions.removeValue(forKey: tokenHash) }
    }

    @discardableResult public func deleteSessions(agent: String) async throws -> Int {
        sessionTable.withLock { s in
            let before = s.sessions.count
            s.sessions = s.sessions.filter { $0.value.agentID != agent }
            return before - s.sessions.count
        }
    }

    public func deleteExpiredSessions(idleBefore: Date, createdBefore: Date) async throws {
        sessionTable.withLock { s in
            s.sessions = s.sessions.filter { $0.value.lastSeenAt >= idleBefore && $0.value.createdAt >= createdBefore }
        }
    }
}
