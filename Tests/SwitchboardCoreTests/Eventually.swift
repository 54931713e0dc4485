import Foundation
import Logging
import ServiceLifecycle
import Synchronization

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
///
/// When `body` failed, a service may be waiting for something the test never gave it (a flush the
/// test holds back): the failure is reported after a few seconds instead of hanging the whole run.
func running<T>(_ services: [any Service], _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(services: services, logger: Logger(label: "test"))
    let run = Task { try await group.run() }
    let result: Result<T, any Error>
    do { result = .success(try await body()) } catch { result = .failure(error) }
    await group.triggerGracefulShutdown()
    if case .failure(let error) = result {
        // Whichever comes first; a service that never stops stays suspended, which ends nothing.
        let stopped = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let answer = FirstAnswer(continuation)
            Task {
                _ = await run.result
                answer.give(true)
            }
            Task {
                try? await Task.sleep(for: .seconds(5))
                answer.give(false)
            }
        }
        if !stopped { run.cancel() }
        throw error
    }
    try await run.value
    return try result.get()
}

/// Resumes a continuation with the first answer given; later ones are dropped.
private final class FirstAnswer: Sendable {
    private let continuation: Mutex<CheckedContinuation<Bool, Never>?>

    init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }

    func give(_ answer: Bool) { continuation.withLock { $0.take() }?.resume(returning: answer) }
}
