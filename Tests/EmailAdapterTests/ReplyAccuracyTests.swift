import Foundation
import Testing

@testable import EmailAdapter

/// How often the stored body of a real-world reply is clean: the customer's new text, no quoted
/// history, no attribution, no device signature or list footer. Measured over `Fixtures/replies/`
/// (shapes of many clients in many languages) through the whole decoder, and printed per language,
/// per failure class and overall. The target (issue 17) is 95 % in at least ten languages.
@Suite struct ReplyAccuracyTests {
    static let target = 0.95
    static let minimumLanguages = 10

    struct Outcome {
        var fixture: ReplyFixture
        var stored: String
        var clean: Bool
    }

    static func outcomes() throws -> [Outcome] {
        try ReplyFixture.all().map { fixture in
            let message = try EmailDecoder.decode(fixture.mail, ownAddress: "support@example.com")
            let stored = ReplyFixture.normalized(message.text)
            return Outcome(fixture: fixture, stored: stored, clean: stored == ReplyFixture.normalized(fixture.expected))
        }
    }

    static func share(_ outcomes: [Outcome]) -> String {
        let clean = outcomes.filter(\.clean).count
        return String(format: "%5.1f %% (%ld/%ld)", 100 * Double(clean) / Double(max(1, outcomes.count)), clean, outcomes.count)
    }

    static func report(_ outcomes: [Outcome]) -> String {
        var lines = ["Clean replies over \(outcomes.count) fixtures: \(share(outcomes))"]
        for (title, key) in [("language", \ReplyFixture.language), ("class", \ReplyFixture.failureClass)] {
            lines.append("by \(title):")
            let groups = Dictionary(grouping: outcomes) { $0.fixture[keyPath: key] }
            for name in groups.keys.sorted() { lines.append("  \(name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(share(groups[name]!))") }
        }
        let failing = outcomes.filter { !$0.clean }
        if !failing.isEmpty {
            lines.append("not clean:")
            for outcome in failing {
                lines.append("  \(outcome.fixture) [\(outcome.fixture.failureClass)] stored: \(outcome.stored.debugDescription)")
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test func replyFixturesAreCleanInAtLeastTenLanguages() throws {
        let outcomes = try Self.outcomes()
        print(Self.report(outcomes))
        let languages = Set(outcomes.map(\.fixture.language))
        #expect(languages.count >= Self.minimumLanguages, "fixtures in \(languages.count) languages")
        let accuracy = Double(outcomes.filter(\.clean).count) / Double(outcomes.count)
        #expect(accuracy >= Self.target, "\(Self.report(outcomes))")
    }

    /// What is cut is never lost: the whole body is kept beside the new text whenever they differ,
    /// and a reply is never stored empty.
    @Test func theWholeBodyIsKeptWheneverSomethingWasCut() throws {
        for fixture in try ReplyFixture.all() {
            let message = try EmailDecoder.decode(fixture.mail, ownAddress: "support@example.com")
            #expect(!message.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(fixture) stored nothing")
            if let full = message.metadata["full_text"] {
                #expect(full.count > message.text.count, "\(fixture)")
            } else if fixture.kind == .text {
                #expect(ReplyFixture.normalized(message.text) == ReplyFixture.normalized(fixture.body), "\(fixture) cut without full_text")
            }
        }
    }
}
