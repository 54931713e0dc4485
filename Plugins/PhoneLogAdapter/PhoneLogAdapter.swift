import Foundation
import Logging
import SwitchboardAdapterAPI

/// The phone channel (`type: phone-log`): call records in, call-backs out.
///
/// Each call a PBX reports becomes one message in the customer's conversation, from the caller's
/// number in E.164 (`phone` identities), so the caller is the same customer as on SMS or WhatsApp.
/// A customer's unanswered call asks for a call-back; an agent's call to a customer is an
/// `.activity` event. The call's id makes re-imports idempotent. An agent's reply is a call-back
/// the PBX is asked to place (`originate:`); without one, replies are refused with the reason.
public struct PhoneLogAdapter: RecordBatchAdapter {
    public let id: String
    public let settings: PhoneLogSettings
    /// The gateway's public base URL, without a trailing slash (Twilio signs the URL it called).
    public let publicURL: String
    private let transport: any HTTPTransport
    private let logger: Logger

    public init(id: String, settings: PhoneLogSettings, publicURL: String, transport: any HTTPTransport, logger: Logger = Logger(label: "phone-log"))
    {
        self.id = id
        self.settings = settings
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.transport = transport
        self.logger = logger
    }

    /// What agents are told when a phone line cannot place calls.
    public static let cannotCall =
        "this phone line cannot place calls: no `originate` endpoint is configured; "
        + "call the customer yourself and record the outcome as a note, or reply through another of their channels with `via`"

    /// Calls have no reply window; a line that can originate can call any customer known by number.
    public var capabilities: AdapterCapabilities {
        AdapterCapabilities(canInitiate: settings.originate != nil, replyRefusal: settings.originate == nil ? Self.cannotCall : nil)
    }

    /// With `originate`, an agent may call back a customer known by their number from any channel.
    public var identityChannel: String? { settings.originate == nil ? nil : "phone" }

    public func refusal(for reply: ReplyContext) -> String? {
        settings.originate == nil ? Self.cannotCall : nil
    }

    /// Keeps the good records of a batch; answers 400 only when nothing in it could be used, with
    /// the first problems and their lines (gateways that know ``RecordBatchAdapter`` call
    /// ``receiveRecords(_:)`` and report every skipped record instead).
    public func receive(_ request: InboundRequest) async throws -> InboundResult {
        let batch = try await receiveRecords(request)
        let rejected = batch.rejected
        if batch.events.isEmpty, !rejected.isEmpty {
            let listed = rejected.prefix(5).map(Self.describe).joined(separator: "; ")
            throw InboundError.malformed(listed + (rejected.count > 5 ? "; and \(rejected.count - 5) more" : ""))
        }
        if !rejected.isEmpty {
            logger.warning(
                "call records rejected",
                metadata: [
                    "adapter": "\(id)", "rejected": "\(rejected.count)",
                    "first": "\(rejected.prefix(3).map(Self.describe).joined(separator: "; "))",
                ])
        }
        return .events(batch.events)
    }

    public func receiveRecords(_ request: InboundRequest) async throws -> InboundBatch {
        switch settings.format {
        case .twilioVoice:
            let params = try TwilioSignature.verifiedParameters(of: request, publicURL: publicURL, authToken: settings.authToken ?? "")
            switch try TwilioVoiceDecoder.decode(params) {
            case .skipped(let reason, let code):
                return InboundBatch(events: [], skipped: [SkippedRecord(reason: reason, malformed: false, code: code)])
            case .call(let call):
                return batch([(call, SkippedRecord(reason: "", malformed: false))])
            }
        case .asteriskCDR:
            try checkPost(request, types: ["text/csv", "text/plain", "application/csv", "text/comma-separated-values"])
            return decodeCDR(request.body)
        case .json:
            try checkPost(request, types: ["application/json"])
            let (calls, skipped) = try JSONCallDecoder(map: settings.json, timeZone: settings.cdr.timeZone).decode(request.body)
            return batch(calls.map { ($0.call, SkippedRecord(item: $0.item, reason: "", malformed: false)) }, skipped: skipped)
        }
    }

    /// The calls of CSV rows, posted to the hook or read from a watched file.
    func decodeCDR(_ rows: [UInt8]) -> InboundBatch {
        let (calls, skipped) = settings.cdr.decode(rows)
        return batch(calls.map { ($0.call, SkippedRecord(line: $0.line, reason: "", malformed: false)) }, skipped: skipped)
    }

    /// `where` locates each call in the request, for the records that are skipped. A call the
    /// pipeline could not store as it stands (a NUL in a field, an impossible time) is a broken
    /// record of its own, so it does not cost the rest of the batch.
    private func batch(_ calls: [(CallRecord, where: SkippedRecord)], skipped: [SkippedRecord] = []) -> InboundBatch {
        var events: [InboundEvent] = []
        var left = skipped
        let now = Date()
        for (call, place) in calls {
            switch call.meaning(plan: settings.numbers) {
            case .message(let message):
                if let problem = InboundEvent.message(message).storageProblem(receivedAt: now) {
                    left.append(SkippedRecord(line: place.line, item: place.item, reason: problem.message, malformed: true, code: problem.code))
                } else {
                    events.append(.message(message))
                }
            case .skipped(let reason, let code):
                left.append(SkippedRecord(line: place.line, item: place.item, reason: reason, malformed: false, code: code))
            }
        }
        return InboundBatch(events: events, skipped: left.sorted { ($0.line ?? $0.item ?? 0) < ($1.line ?? $1.item ?? 0) })
    }

    private func checkPost(_ request: InboundRequest, types: [String]) throws(InboundError) {
        guard request.method == "POST" else { throw .methodNotAllowed("this hook accepts POST only") }
        if settings.hookClosed {
            throw .forbidden("this adapter reads its CDR file ('watch'); its hook takes posts only with 'secret_env' or 'open: true'")
        }
        if let secret = settings.secret {
            guard let header = request.header(Self.signatureHeader) else {
                throw .unauthorized("missing \(Self.signatureHeader) header")
            }
            guard secret.verifySHA256Hex(body: request.body, signature: header, prefix: "sha256=") else {
                throw .unauthorized("signature does not match the body")
            }
        }
        if let type = request.mediaType, !type.isEmpty, !types.contains(type) {
            throw .malformed("format \(settings.format.rawValue) takes \(types[0]), not \(type)")
        }
    }

    /// The header carrying the HMAC-SHA256 of `asterisk-cdr` and `json` bodies, as on the webhook adapter.
    public static let signatureHeader = "X-Switchboard-Signature"

    static func describe(_ record: SkippedRecord) -> String {
        (record.line.map { "line \($0): " } ?? record.item.map { "item \($0): " } ?? "") + record.reason
    }

    /// Places the call-back the reply stands for.
    public func deliver(_ message: OutboundMessage) async throws -> DeliveryReceipt {
        guard let originate = settings.originate else { throw DeliveryFailure(Self.cannotCall, permanent: true) }
        guard message.purpose == .reply else {
            throw DeliveryFailure("a phone line cannot carry a written acknowledgement", permanent: true)
        }
        guard let number = settings.numbers.e164(message.to) else {
            throw DeliveryFailure("'\(message.to)' is not a phone number this line can call", permanent: true)
        }
        let statusCallback = settings.format == .twilioVoice && originate.style == .twilio ? "\(publicURL)/hooks/\(id)" : nil
        return try await CallOriginator(settings: originate, transport: transport, statusCallback: statusCallback)
            .place(message, to: number)
    }
}
