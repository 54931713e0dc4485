import Crypto
import Dispatch
import Foundation
import _CryptoExtras

/// Console passwords: PBKDF2-HMAC-SHA256 with a random 16-byte salt, compared in constant time.
public enum ConsolePassword {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256; stored with each hash so it can rise later
    /// without invalidating existing passwords.
    public static let iterations = 600_000
    static let minimumLength = 8

    public struct Hashed: Sendable {
        public var hash: [UInt8]
        public var salt: [UInt8]
        public var iterations: Int
    }

    /// Why a new password is refused, or nil when it is acceptable.
    public static func weakness(_ password: String) -> String? {
        password.count < minimumLength ? "a password needs at least \(minimumLength) characters" : nil
    }

    public static func hash(_ password: String) throws -> Hashed {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Hashed(hash: try derive(password, salt: salt, iterations: iterations), salt: salt, iterations: iterations)
    }

    /// Where derivations run: off the cooperative thread pool, and at most half the cores at once,
    /// so sign-ins from many addresses together can slow other sign-ins but never take the CPU
    /// that hooks and the agent API need.
    private static let hashing: OperationQueue = {
        let queue = OperationQueue()
        queue.name = "switchboard.console-password"
        queue.maxConcurrentOperationCount = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
        return queue
    }()

    /// Checks `password` against a stored hash on ``hashing``: a derivation takes a few hundred
    /// milliseconds of CPU and must not stall other requests' tasks.
    static func verify(_ password: String, hash: [UInt8], salt: [UInt8], iterations: Int) async -> Bool {
        await withCheckedContinuation { continuation in
            hashing.addOperation {
                let derived = (try? derive(password, salt: salt, iterations: iterations)) ?? []
                continuation.resume(returning: !derived.isEmpty && constantTimeEqual(derived, hash))
            }
        }
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
