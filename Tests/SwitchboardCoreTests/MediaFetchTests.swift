import Foundation
import Logging
import SwitchboardAdapterAPI
import SwitchboardCore
import SwitchboardStoreTestSupport
import Synchronization
import Testing

typealias Attachment = SwitchboardAdapterAPI.Attachment

/// A channel whose media the test serves: each fetch takes the next scripted answer.
final class MediaChannel: ChannelAdapter, MediaFetcher, Sendable {
    let id: String
    let capabilities = AdapterCapabilities()
    let maxMediaBytes: Int
    private let script = Mutex<[Result<FetchedMedia, MediaFetchFailure>]>([])
    private let asked = Mutex(0)

    init(_ id: String, maxMediaBytes: Int = 1 << 20) {
        self.id = id
        self.maxMediaBytes = maxMediaBytes
    }

    var mediaFetcher: (any MediaFetcher)? { self }
    func willServe(_ answers: [Result<FetchedMedia, MediaFetchFailure>]) { script.withLock { $0 += answers } }
    var fetches: Int { asked.withLock { $0 } }

    func receive(_ request: InboundRequest) async throws -> InboundResult { .events([]) }
    func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt { DeliveryReceipt(externalID: "x", state: .delivered) }
    func canFetch(_ attachment: Attachment) -> Bool { attachment.platformID != nil }
    func fetch(_ attachment: Attachment) async throws -> FetchedMedia {
        asked.withLock { $0 += 1 }
        let next = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let next else { throw MediaFetchFailure("nothing scripted") }
        return try next.get()
    }
}

@Suite struct MediaFetchTests {
    let schedule = DeliverySettings(firstRetry: .seconds(2), maxBackoff: .seconds(60), maxAttempts: 4)

    @Test func messagesWithoutTextReadAsWhatTheyCarry() {
        func text(_ a: Attachment...) -> String? { MessagePlaceholder.text(for: a) }
        #expect(text(Attachment(kind: "voice", details: ["duration": "12"])) == "[voice message 0:12]")
        #expect(text(Attachment(kind: "voice", details: ["duration_s": "75"])) == "[voice message 1:15]")
        #expect(text(Attachment(kind: "voice")) == "[voice message]")
        #expect(text(Attachment(kind: "image")) == "[photo]")
        #expect(text(Attachment(kind: "video")) == "[video]")
        #expect(text(Attachment(kind: "document", fileName: "name.pdf")) == "[document: name.pdf]")
        #expect(text(Attachment(kind: "location", details: ["latitude": "40.4168", "longitude": "-3.7038"])) == "[location: 40.42, -3.70]")
        #expect(
            text(Attachment(kind: "location", details: ["latitude": "37.4611978", "longitude": "-122.2164385", "name": "Facebook HQ"]))
                == "[location: Facebook HQ (37.46, -122.22)]")
        #expect(text(Attachment(kind: "contact", details: ["name": "Ana García", "phones": "+34600"])) == "[contact: Ana García]")
        #expect(text(Attachment(kind: "contact", details: ["phone_number": "+34600"])) == "[contact: +34600]")
        #expect(text(Attachment(kind: "sticker")) == "[sticker]")
        #expect(text(Attachment(kind: "image"), Attachment(kind: "image")) == "[photo] [photo]")
        #expect(text() == nil)

        var message = InboundMessage(
            externalID: "1", from: ChannelIdentity(channel: "phone", address: "+1"), text: " ", attachments: [Attachment(kind: "image")])
        MessagePlaceholder.apply(to: &message)
        #expect(message.text == "[photo]")
        #expect(message.metadata["placeholder"] == "true", "the body says it is not the customer's words")
        var captioned = InboundMessage(
            externalID: "2", from: ChannelIdentity(channel: "phone", address: "+1"), text: "the parcel", attachments: [Attachment(kind: "image")])
        MessagePlaceholder.apply(to: &captioned)
        #expect(captioned.text == "the parcel")
        #expect(captioned.metadata["placeholder"] == nil)
    }

    func job(attempts: Int = 0) -> MediaFetchJob {
        MediaFetchJob(
            message: 7, adapter: "wa", attempts: attempts, dueAt: Plans.now, lastError: nil,
            attachments: [Attachment(kind: "image", platformID: "1").markedFetching(), Attachment(kind: "location")])
    }

    @Test func transientFailuresBackOffExponentiallyThenGiveUp() {
        let failure: [Int: Result<FetchedMedia, MediaFetchFailure>] = [0: .failure(MediaFetchFailure("HTTP 503"))]
        let first = MediaFetchPlanner.plan(job(), outcomes: failure, limit: 100, schedule: schedule, now: Plans.now, jitter: 0)
        #expect(first.settled.isEmpty)
        #expect(first.attempts == 1)
        #expect(first.retryAt == Plans.now.addingTimeInterval(2))
        #expect(first.error == "HTTP 503")
        let second = MediaFetchPlanner.plan(job(attempts: 1), outcomes: failure, limit: 100, schedule: schedule, now: Plans.now, jitter: 0)
        #expect(second.retryAt == Plans.now.addingTimeInterval(4))
        let third = MediaFetchPlanner.plan(job(attempts: 2), outcomes: failure, limit: 100, schedule: schedule, now: Plans.now, jitter: 0)
        #expect(third.retryAt == Plans.now.addingTimeInterval(8))
        let last = MediaFetchPlanner.plan(job(attempts: 3), outcomes: failure, limit: 100, schedule: schedule, now: Plans.now, jitter: 0)
        #expect(last.retryAt == nil)
        #expect(last.settled[0]?.state == "failed")
        #expect(last.settled[0]?.notStoredReason == "gave up after 4 attempts: HTTP 503")
    }

    @Test func permanentFailuresAndOversizeContentFailAtOnce() {
        let gone = MediaFetchPlanner.plan(
            job(), outcomes: [0: .failure(MediaFetchFailure("HTTP 404", permanent: true))], limit: 100, schedule: schedule, now: Plans.now)
        #expect(gone.retryAt == nil)
        #expect(gone.settled[0]?.notStoredReason == "HTTP 404")
        let big = MediaFetchPlanner.plan(
            job(), outcomes: [0: .success(FetchedMedia(content: Data(count: 101)))], limit: 100, schedule: schedule, now: Plans.now)
        #expect(big.settled[0]?.state == "failed")
        #expect(big.settled[0]?.notStoredReason == "larger than this adapter's limit of 100 bytes")
        let fits = MediaFetchPlanner.plan(
            job(), outcomes: [0: .success(FetchedMedia(content: Data(count: 100), mimeType: "image/png"))], limit: 100, schedule: schedule,
            now: Plans.now)
        #expect(fits.settled[0]?.content?.count == 100)
        #expect(fits.settled[0]?.mimeType == "image/png")
        #expect(fits.settled[0]?.state == nil)
    }

    @Test func theWorkerRetriesWithBackoffUntilTheContentIsStored() async throws {
        let clock = TestClock(Plans.now)
        let store = MemoryStore()
        let policy = Plans.policy()
        try await store.prepare(agents: policy.assignment.directory.agents)
        let channel = MediaChannel("wa")
        let events = EventBus()
        let worker = MediaFetchWorker(
            store: store, adapters: AdapterRegistry([RegisteredAdapter(adapter: channel)]), events: events, schedule: schedule,
            now: { clock.now }, logger: Logger(label: "test"))
        let photo = Data([0xFF, 0xD8, 0xFF, 0xE0, 9, 9])
        channel.willServe([
            .failure(MediaFetchFailure("HTTP 500")), .failure(MediaFetchFailure("HTTP 502")),
            .success(FetchedMedia(content: photo, mimeType: "image/jpeg")),
        ])
        let message = InboundMessage(
            externalID: "wamid.1", from: ChannelIdentity(channel: "phone", address: "+34600"), text: "[photo]",
            attachments: [Attachment(kind: "image", platformID: "123").markedFetching()])
        let outcome = try await store.ingest([IngestItem(adapter: "wa", event: .message(message), receivedAt: clock.now)], policy: policy)[0]
        let id = try #require(outcome.messageID)
        let inbox = EventInbox(events, Viewer(Staff.marta))

        #expect(try await worker.tick() == 1)
        #expect(try await store.attachment(message: id, index: 0)?.attachment.state == "fetching")
        #expect(try await worker.tick() == 0, "not due again before its backoff")
        clock.advance(2.5)
        #expect(try await worker.tick() == 1)
        clock.advance(3)
        #expect(try await worker.tick() == 0, "the second wait is twice the first")
        clock.advance(2)
        #expect(try await worker.tick() == 1)
        #expect(channel.fetches == 3)
        let stored = try #require(try await store.attachment(message: id, index: 0))
        #expect(stored.content == photo)
        #expect(stored.attachment.stored == true)
        #expect(stored.attachment.state == nil)
        #expect(stored.attachment.mimeType == "image/jpeg")
        #expect(try await store.nextMediaFetchDue() == nil)
        #expect(try await inbox.settledTypes().filter { $0 == "attachment.updated" }.count == 1)
    }
}
