import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Retention, with an injected clock: what is older than its rule loses its content, nothing else.
extension StoreConformance {
    static let retentionScenarios: [StoreScenario] = [
        StoreScenario("retention removes the content of messages older than their rule and nothing else", on: retentionOfMessages),
        StoreScenario("retention of attachments removes old files only, keeps text and files still referred to", on: retentionOfAttachments),
    ]

    static let day: Double = 86400

    static func keeper(_ store: any Store, _ policy: RetentionPolicy, at clock: TestClock, batch: Int = 2) -> RetentionKeeper {
        RetentionKeeper(
            store: store, policy: policy, audit: AuditTrail(store: store, now: { clock.now }), auditRetention: nil, batchSize: batch,
            pause: .zero, now: { clock.now }, logger: Logger(label: "test.retention"))
    }

    @Sendable static func retentionOfMessages(_ store: any Store) async throws {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        // Three customers write at day 0; one of them is resolved, one stays open; a WhatsApp
        // customer has a shorter rule of its own.
        let old = try await store.ingest(
            [
                named("o1", from: "old@example.com", name: "Olga", text: "old words one", at: t0),
                named("o2", from: "old@example.com", name: "Olga", text: "old words two", at: t0.addingTimeInterval(10)),
                named("o3", from: "old@example.com", name: "Olga", text: "old words three", at: t0.addingTimeInterval(20)),
            ], policy: TestAgents.policy)
        let open = try await store.ingest(
            [named("p1", from: "open@example.com", name: "Pia", text: "still open", at: t0)], policy: TestAgents.policy)[0]
        let chat = try await store.ingest(
            [
                named(
                    "w1", from: "+34600999888", channel: "phone", adapter: "whatsapp", name: "Wen", text: "whatsapp words",
                    at: t0.addingTimeInterval(100 * day))
            ],
            policy: TestAgents.policy)[0]
        let conversation = old[0].conversationID!
        _ = try await store.appendInternal(
            conversation: conversation, direction: .note, author: "ana", body: "old note", at: t0.addingTimeInterval(30))
        _ = try await store.resolve(conversation: conversation, author: "ana", at: t0.addingTimeInterval(40))
        _ = try await store.resolve(conversation: chat.conversationID!, author: "ana", at: t0.addingTimeInterval(100 * day + 60))
        // Day 700: Olga writes again (the conversation reopens, then is resolved again).
        let young = try await store.ingest(
            [named("o4", from: "old@example.com", name: "Olga", text: "young words", at: t0.addingTimeInterval(700 * day))], policy: TestAgents.policy
        )[0]
        _ = try await store.resolve(conversation: conversation, author: "ana", at: t0.addingTimeInterval(700 * day + 60))
        let reportBefore = try await store.reportSummary(since: t0, now: t0.addingTimeInterval(800 * day))

        // Day 731: the 730-day rule reaches the day-0 messages; WhatsApp keeps 90 days.
        let clock = TestClock(t0.addingTimeInterval(731 * day))
        let policy = RetentionPolicy(
            base: RetentionRule(messages: .seconds(Int64(730 * day))), perAdapter: ["whatsapp": RetentionRule(messages: .seconds(Int64(90 * day)))],
            onlyResolved: true)
        let pass = try await keeper(store, policy, at: clock).tick()

        // Exactly what is older than its rule lost its content: the base rule (730 days) for the
        // mail customer's messages, notes and events; WhatsApp's own (90 days) for its messages.
        let baseCutoff = t0.addingTimeInterval(day)
        let chatCutoff = t0.addingTimeInterval(641 * day)
        var redacted = 0
        for id in [conversation, chat.conversationID!] {
            for message in try #require(try await store.conversation(id)).messages {
                let cutoff = message.adapter == "whatsapp" ? chatCutoff : baseCutoff
                let gone = message.metadata?["redacted"] == "retention"
                #expect(gone == (message.createdAt < cutoff), "message \(message.id) (\(message.direction), \(message.createdAt))")
                if gone {
                    redacted += 1
                    #expect(message.body.isEmpty && message.externalID == nil)
                } else if message.direction == .inbound {
                    #expect(!message.body.isEmpty)
                }
            }
        }
        #expect(redacted >= 4 && pass.messages == redacted)
        let thread = try #require(try await store.conversation(conversation)).messages
        #expect(thread.first { $0.id == young.messageID }?.body == "young words", "a message younger than the rule keeps its text")
        #expect(thread.first { $0.body == "old note" } == nil)
        #expect(try await store.conversation(chat.conversationID!)?.messages.first { $0.direction == .inbound }?.body == "")
        // What retention removed is no longer found; what it kept still is.
        let marta = Viewer(agentID: "marta", isSupervisor: true)
        #expect(try await store.searchMessages(SearchQuery(terms: SearchTerm.parse("old words"), viewer: marta)).isEmpty)
        #expect(try await store.searchMessages(SearchQuery(terms: SearchTerm.parse("young words"), viewer: marta)).count == 1)
        #expect(try await store.searchMessages(SearchQuery(terms: SearchTerm.parse("still open"), viewer: marta)).count == 1)
        // Still open: kept whole, however old.
        #expect(try await store.conversation(open.conversationID!)?.messages.first?.body == "still open")
        // Names and addresses are the customer's, not a message's: they stay.
        #expect(try await store.customer(old[0].customerID!, now: clock.now)?.identities.map(\.address) == ["old@example.com"])
        // Counts and reports stay true.
        #expect(try await store.reportSummary(since: t0, now: t0.addingTimeInterval(800 * day)) == reportBefore)
        #expect(try await store.customer(old[0].customerID!, now: clock.now)?.contacts == 4)
        // A second pass finds nothing more; the pass was recorded.
        #expect(try await keeper(store, policy, at: clock).tick().messages == 0)
        #expect(try await store.auditEntries(AuditQuery(action: "retention_applied")).first?.details["messages"] == String(redacted))
    }

    @Sendable static func retentionOfAttachments(_ store: any Store) async throws {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let scan = Data("scan of an old letter".utf8)
        let shared = Data("a file sent twice".utf8)
        let first = try await store.ingest(
            [
                named(
                    "a1", from: "ann@example.com", name: "Ann", text: "see the scan",
                    attachments: [
                        Attachment(kind: "document", fileName: "scan.pdf", content: scan),
                        Attachment(kind: "document", fileName: "s.txt", content: shared),
                    ],
                    at: t0)
            ], policy: TestAgents.policy)[0]
        // The same file again, 200 days later (younger than the rule): its content must stay.
        let later = try await store.ingest(
            [
                named(
                    "a2", from: "ann@example.com", name: "Ann", text: "again",
                    attachments: [Attachment(kind: "document", fileName: "s.txt", content: shared)],
                    at: t0.addingTimeInterval(200 * day))
            ], policy: TestAgents.policy)[0]
        _ = try await store.resolve(conversation: first.conversationID!, author: "ana", at: t0.addingTimeInterval(201 * day))

        let clock = TestClock(t0.addingTimeInterval(250 * day))
        let policy = RetentionPolicy(base: RetentionRule(attachments: .seconds(Int64(180 * day))), onlyResolved: true)
        let pass = try await keeper(store, policy, at: clock).tick()
        #expect(pass.attachments == 1 && pass.messages == 0)
        #expect(pass.contents == 1, "the scan goes; the file the young message also sent stays")
        let oldMessage = try #require(try await store.conversation(first.conversationID!)?.messages.first { $0.id == first.messageID })
        #expect(oldMessage.body == "see the scan", "attachment retention keeps the text")
        #expect(oldMessage.attachments?.map(\.stored) == [false, false])
        #expect(oldMessage.attachments?.first?.fileName == "scan.pdf")
        #expect(try await store.attachment(message: first.messageID!, index: 0)?.content == nil)
        #expect(try await store.attachment(message: later.messageID!, index: 0)?.content == shared)
        // Past the young message's own 180 days, its copy goes too, and with it the content.
        clock.advance(200 * day)
        let second = try await keeper(store, policy, at: clock).tick()
        #expect(second.attachments == 1 && second.contents == 1)
        #expect(try await store.attachment(message: later.messageID!, index: 0)?.content == nil)
    }
}
