import Foundation
import Logging
import ServiceLifecycle

/// Waits until `condition` holds, looking every few milliseconds. The deadline is only there so a
/// broken build fails instead of hanging; no test asserts how long anything takes.
func eventually(
    _ what: String, within deadline: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: deadline)
    while !(try await condition()) {
        guard clock.now < end else { throw UnexpectedOutcome("never happened: \(what)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Runs `services` (the outbox, the group committer) while `body` runs, then shuts them down
/// gracefully and waits for them to finish.
func running<T>(_ services: [any Service], _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(services: services, logger: Logger(label: "test"))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}
