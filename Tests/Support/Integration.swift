import Foundation
import Testing

/// Tests that start servers (PostgreSQL, Dovecot, aiosmtpd, local HTTP servers playing a platform's
/// API or a PBX) run only when `SWITCHBOARD_INTEGRATION=1`, as `make test` sets it. Plain
/// `swift test` stays fast and needs nothing but the toolchain and SQLite.
public enum Integration {
    /// Whether this run includes the tests that start servers.
    public static let enabled = ProcessInfo.processInfo.environment["SWITCHBOARD_INTEGRATION"] == "1"
}

extension Trait where Self == ConditionTrait {
    /// Runs the test or suite only with `SWITCHBOARD_INTEGRATION=1` (it starts a server).
    public static var integration: Self {
        .enabled(if: Integration.enabled, "starts a server; runs with SWITCHBOARD_INTEGRATION=1 (make test)")
    }
}
