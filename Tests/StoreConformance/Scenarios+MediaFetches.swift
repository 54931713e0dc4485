import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Testing

/// Media-fetch jobs: written with the message, due until settled, rescheduled, and settled once.
extension StoreConformance {
    static let mediaFetchScenarios: [StoreScenario] = [
        StoreScenario("a message with media to fetch is stored with its job, due at once", on: aMessageWithMediaHasAJob),
        StoreScenario("a fetch attempt reschedules, then stores the content once and ends the job", on: aFetchIsRescheduledThenStored),
        StoreScenario("a failed fetch keeps the reason and a settled attachment is not settled twice", on: aFailedFetchKeepsItsReason),
    ]

    static func mediaMessage(_ id: String, from: String, attachments: [Attachment]) -> IngestItem {
        IngestItem(
            adapter: "wa",
            event: .message(
                InboundMessage(externalID: id, from: ChannelIdentity(channel: "phone", address: from), text: "", attachments: attachments)),
            receivedAt: Date())
    }

    static let photoToFetch = Attachment(kind: "image", mimeType: "image/jpeg", platformID: "111").markedFetching()
    static let voiceToFetch = Attachment(kind: "voice", mimeType: "audio/ogg", platformID: "222").markedFetching()

    @Sendable static func aMessageWithMediaHasAJob(_ store: any Store) async throws {
        let plain = try await store.ingest([mediaMessage("p1", from: "+341", attachments: [Attachment(kind: "location")])], policy: TestAgents.policy)
        #expect(plain[0].messageID != nil)
        #expect(try await store.dueMediaFetches(now: Date().addingTimeInterval(60), limit: 10).isEmpty, "nothing to fetch, no job")
        #expect(try await store.nextMediaFetchDue() == nil)

        let outcome = try await store.ingest(
            [mediaMessage("m1", from: "+342", attachments: [photoToFetch, Attachment(kind: "location")])], policy: TestAgents.policy)[0]
        let id = try #require(outcome.messageID)
        #expect(outcome.message?.attachments?[0].state == "fetching")
        #expect(outcome.message?.attachments?[0].stored == false)
        let jobs = try await store.dueMediaFetches(now: Date().addingTimeInterval(1), limit: 10)
        #expect(jobs.map(\.message) == [id])
        #expect(jobs.first?.adapter == "wa")
        #expect(jobs.first?.attempts == 0)
        #expect(jobs.first?.attachments.map(\.kind) == ["image", "location"])
        #expect(try await store.nextMediaFetchDue() != nil)
        // A retried webhook stores nothing twice, and no second job.
        _ = try await store.ingest([mediaMessage("m1", from: "+342", attachments: [photoToFetch])], policy: TestAgents.policy)
        #expect(try await store.dueMediaFetches(now: Date().addingTimeInterval(1), limit: 10).count == 1)
        let shown = try await store.attachment(message: id, index: 0)
        #expect(shown?.content == nil)
        #expect(shown?.attachment.state == "fetching")
    }

    @Sendable static func aFetchIsRescheduledThenStored(_ store: any Store) async throws {
        let outcome = try await store.ingest(
            [mediaMessage("m1", from: "+343", attachments: [photoToFetch, voiceToFetch])], policy: TestAgents.policy)[0]
        let id = try #require(outcome.messageID)
        let now = Date()
        // The photo arrives; the voice note must be tried again later.
        let photo = Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])
        let later = now.addingTimeInterval(30)
        let first = try #require(
            try await store.recordMediaFetch(
                MediaFetchResult(
                    message: id, settled: [0: photoToFetch.fetched(FetchedMedia(content: photo, mimeType: "image/jpeg"))], retryAt: later,
                    attempts: 1, error: "HTTP 503"), at: now))
        #expect(first.message.id == id)
        #expect(first.access.id == outcome.conversationID)
        #expect(first.message.attachments?[0].stored == true)
        #expect(first.message.attachments?[0].state == nil)
        #expect(first.message.attachments?[0].sha256 == Attachment.sha256Hex(photo))
        #expect(first.message.attachments?[1].state == "fetching")
        #expect(try await store.attachment(message: id, index: 0)?.content == photo)
        #expect(try await store.dueMediaFetches(now: now.addingTimeInterval(1), limit: 10).isEmpty, "not due before its retry")
        let retry = try await store.dueMediaFetches(now: later.addingTimeInterval(1), limit: 10)
        #expect(retry.map(\.attempts) == [1])
        #expect(retry.first?.lastError == "HTTP 503")

        let voice = Data("OggS voice".utf8)
        let second = try #require(
            try await store.recordMediaFetch(
                MediaFetchResult(
                    message: id, settled: [1: voiceToFetch.fetched(FetchedMedia(content: voice))], retryAt: nil, attempts: 1, error: nil),
                at: later))
        #expect(second.message.attachments?.map(\.stored) == [true, true])
        #expect(try await store.attachment(message: id, index: 1)?.content == voice)
        #expect(try await store.dueMediaFetches(now: later.addingTimeInterval(3600), limit: 10).isEmpty, "the job is done")
        #expect(try await store.nextMediaFetchDue() == nil)
        // What the conversation shows is the stored state.
        let conversationID = try #require(outcome.conversationID)
        let detail = try #require(try await store.conversation(conversationID))
        #expect(detail.messages.first { $0.id == id }?.attachments?.map(\.stored) == [true, true])
    }

    @Sendable static func aFailedFetchKeepsItsReason(_ store: any Store) async throws {
        let outcome = try await store.ingest([mediaMessage("m1", from: "+344", attachments: [photoToFetch])], policy: TestAgents.policy)[0]
        let id = try #require(outcome.messageID)
        let failed = photoToFetch.fetchFailed("the media id expired")
        let recorded = try #require(
            try await store.recordMediaFetch(MediaFetchResult(message: id, settled: [0: failed], retryAt: nil, attempts: 0, error: nil), at: Date()))
        #expect(recorded.message.attachments?[0].state == "failed")
        #expect(recorded.message.attachments?[0].notStoredReason == "the media id expired")
        // A late second answer (another gateway, a retry) changes nothing settled.
        let late = photoToFetch.fetched(FetchedMedia(content: Data([1, 2, 3])))
        let again = try await store.recordMediaFetch(
            MediaFetchResult(message: id, settled: [0: late], retryAt: nil, attempts: 0, error: nil), at: Date())
        #expect(again?.message.attachments?[0].state == "failed")
        #expect(try await store.attachment(message: id, index: 0)?.content == nil)
        // A job whose message is gone ends quietly.
        #expect(
            try await store.recordMediaFetch(MediaFetchResult(message: 999_999, settled: [:], retryAt: nil, attempts: 0, error: nil), at: Date())
                == nil)
    }
}
