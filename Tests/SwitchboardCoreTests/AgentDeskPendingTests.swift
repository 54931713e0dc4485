import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Waiting on the customer: the resolution promise keeps the open time it had left, in business
/// hours, whoever opens the conversation again (the agent or the customer's answer).
@Suite struct AgentDeskPendingTests {
    let ana = Viewer(Staff.ana)

    /// Mon–Fri 09:00–17:00 UTC; a request must be resolved within two hours of open time.
    func officeHours() async throws -> CoreOnMemory {
        let shift = try Schedule.parseShift("mon-fri 09:00-17:00").get()
        let hours = BusinessHours(schedule: Schedule(shifts: [shift], timeZone: .gmt))
        let core = try await CoreOnMemory(policy: Plans.policy(resolution: .seconds(7200), hours: hours), businessHours: hours)
        core.clock.advance(try Date("2027-01-15T16:00:00Z", strategy: .iso8601).timeIntervalSince(core.clock.now))  // Friday
        return core
    }

    func at(_ iso: String) throws -> Date { try Date(iso, strategy: .iso8601) }

    @Test func anAgentReopeningAPendingConversationResumesTheOpenTimeLeft() async throws {
        let core = try await officeHours()
        let id = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
        #expect(try await core.conversation(id).resolutionDue == (try at("2027-01-18T10:00:00Z")), "an hour on Friday, an hour on Monday")

        core.clock.advance(1800)  // Friday 16:30: an hour and a half of open time left
        _ = try await core.desk.setPending(id, true, by: ana)
        #expect(try await core.conversation(id).status == .pending)

        core.clock.advance(try at("2027-01-19T09:00:00Z").timeIntervalSince(core.clock.now))  // Tuesday morning
        _ = try await core.desk.setPending(id, false, by: ana)
        #expect(try await core.conversation(id).resolutionDue == (try at("2027-01-19T10:30:00Z")))
    }

    @Test func theCustomersAnswerResumesTheSameOpenTimeLeft() async throws {
        let core = try await officeHours()
        let id = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }.conversation.id
        core.clock.advance(1800)
        _ = try await core.desk.setPending(id, true, by: ana)

        core.clock.advance(try at("2027-01-19T09:00:00Z").timeIntervalSince(core.clock.now))
        try await core.receive("c2", from: "ann", text: "here is the photo you asked for")
        let resumed = try await core.conversation(id)
        #expect(resumed.status == .open)
        #expect(resumed.resolutionDue == (try at("2027-01-19T10:30:00Z")))
    }
}
