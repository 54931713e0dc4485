import Foundation
import Logging
import SwitchboardAdapterAPI

/// A line the process wrote, decoded. See `docs/adapter-protocol.schema.json`.
package enum AdapterMessage: Sendable {
    case hello(AdapterCapabilities)
    case inbound(InboundMessage)
    case status(DeliveryStatusUpdate)
    case delivered(reply: Int64, DeliveryReceipt)
    case failed(reply: Int64, DeliveryFailure)
    case response(request: Int64, JSONValue)
    case log(Logger.Level, String)
    /// A type this gateway does not know (a newer protocol): ignored.
    case unknown(String)
}

/// A line that breaks the protocol, with a reason fit for the log (never the line itself: it may
/// hold a customer's message).
package struct ProtocolViolation: Error, Sendable, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    package var description: String { message }
}

extension AdapterMessage {
    /// Decodes one line; `identity` is the channel of the addresses in `inbound` messages.
    package static func decode(_ line: [UInt8], identity: String) throws(ProtocolViolation) -> AdapterMessage {
        let json: JSONValue
        do { json = try JSONValue.parse(line) } catch { throw ProtocolViolation("not JSON (\(line.count) bytes)") }
        guard case .object = json else { throw ProtocolViolation("not a JSON object") }
        guard let type = json["type"]?.stringValue else { throw ProtocolViolation("no \"type\"") }
        switch type {
        case "hello":
            return .hello(try capabilities(json["capabilities"] ?? .object([:])))
        case "inbound":
            return .inbound(try inbound(json, identity: identity))
        case "status":
            return .status(try status(json))
        case "delivered":
            // `state` (extension): "sent" when the platform only queued it; default "delivered".
            let state = json["state"]?.stringValue.flatMap(DeliveryReceipt.State.init(rawValue:)) ?? .delivered
            return .delivered(reply: try replyID(json), DeliveryReceipt(externalID: json["external_id"]?.text, state: state))
        case "failed":
            let reason = json["reason"]?.stringValue ?? "the adapter process reported a failure"
            // A wait that is no number of milliseconds is left to the outbox's own backoff.
            let retryAfter = json["retry_after"]?.doubleValue.flatMap(duration(seconds:))
            return .failed(
                reply: try replyID(json),
                DeliveryFailure(
                    reason, permanent: json["permanent"]?.boolValue ?? false, retryAfter: retryAfter))
        case "response":
            guard let id = json["id"]?.int64Value else { throw ProtocolViolation("response without a numeric \"id\"") }
            return .response(request: id, json)
        case "log":
            let level = json["level"]?.stringValue.flatMap(logLevel) ?? .info
            return .log(level, json["message"]?.text ?? "")
        default:
            return .unknown(type)
        }
    }

    private static func replyID(_ json: JSONValue) throws(ProtocolViolation) -> Int64 {
        guard let id = json["id"]?.int64Value else { throw ProtocolViolation("\(json["type"]?.text ?? "") without a numeric \"id\"") }
        return id
    }

    /// Seconds as sent (a JSON number, or a string such as "nan"), or nil when they are not a whole
    /// number of milliseconds in Int64: converting those would trap and stop the gateway.
    static func duration(seconds: Double) -> Duration? {
        let milliseconds = seconds * 1000
        guard milliseconds.isFinite, abs(milliseconds) <= 1e15 else { return nil }
        return .milliseconds(Int64(milliseconds))
    }

    static func logLevel(_ name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "trace": .trace
        case "debug": .debug
        case "info": .info
        case "notice": .notice
        case "warning", "warn": .warning
        case "error": .error
        case "critical", "fatal": .critical
        default: nil
        }
    }

    /// `hello.capabilities`: what the core enforces before queuing a reply and when pacing deliveries.
    static func capabilities(_ json: JSONValue) throws(ProtocolViolation) -> AdapterCapabilities {
        var caps = AdapterCapabilities()
        switch json["reply_window"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let window = DurationParser.parse(text) else { throw ProtocolViolation("reply_window '\(text)' is not a duration") }
            caps.replyWindow = window
        case let value?:
            guard let window = value.doubleValue.flatMap(duration(seconds:)) else {
                throw ProtocolViolation("reply_window must be a duration or null")
            }
            caps.replyWindow = window
        }
        caps.maxTextLength = json["max_text"]?.int64Value.map { Int($0) }
        caps.maxAttachmentBytes = json["max_attachment_bytes"]?.int64Value.map { Int($0) }
        caps.ratePerSecond = json["rate_per_second"]?.doubleValue
        caps.ratePerRecipientPerSecond = json["rate_per_recipient_per_second"]?.doubleValue
        caps.canInitiate = json["can_initiate"]?.boolValue ?? true
        caps.replyRefusal = json["reply_refusal"]?.stringValue
        caps.attachments = try replyFiles(json["reply_files"])
        return caps
    }

    /// `capabilities.reply_files`: `{"max_files", "max_bytes", "mime_types"?}`; absent: text only. The
    /// files travel base64-encoded in `deliver` lines, so at most 10 MB each.
    static func replyFiles(_ json: JSONValue?) throws(ProtocolViolation) -> ReplyFileLimits? {
        guard let json, json != .null else { return nil }
        guard let files = json["max_files"]?.int64Value, files >= 1, let bytes = json["max_bytes"]?.int64Value, bytes >= 1 else {
            throw ProtocolViolation("reply_files needs max_files and max_bytes, both at least 1")
        }
        let types = json["mime_types"]?.arrayValue?.compactMap { $0.stringValue?.lowercased() }
        let size = Int(min(bytes, 10_000_000))
        return ReplyFileLimits(
            maxFiles: Int(min(files, 10)),
            kinds: ["image", "audio", "video", "document"].map { kind in
                ReplyFileLimits.Kind(
                    kind, maxBytes: size,
                    mimeTypes: types.map { list in list.filter { AttachmentKind.of(mimeType: $0) == kind || kind == "document" } },
                    label: "This adapter's files")
            })
    }

    /// `status`: a platform's word on a reply, matched by the id `delivered` reported for it.
    static func status(_ json: JSONValue) throws(ProtocolViolation) -> DeliveryStatusUpdate {
        guard let external = json["external_id"]?.text, !external.isEmpty else { throw ProtocolViolation("status without \"external_id\"") }
        guard let raw = json["state"]?.stringValue, let state = DeliveryStatusUpdate.State(rawValue: raw) else {
            throw ProtocolViolation("status with an unknown \"state\" (sent, delivered, read or failed)")
        }
        return DeliveryStatusUpdate(externalID: external, state: state, error: json["error"]?.stringValue)
    }
}
