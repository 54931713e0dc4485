import Foundation

/// Why an event cannot be stored as it stands, whichever adapter decoded it.
public struct InboundProblem: Sendable, Equatable, Error {
    /// A short stable code (`nul_character`, `implausible_time`): the metrics label when a
    /// background adapter's event is left out.
    public var code: String
    /// For the sender: which field and why.
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

extension InboundEvent {
    /// The rules every stored event follows, checked once by the pipeline for every adapter:
    ///
    /// - No NUL character in any text. The SQL stores end a string at NUL (SQLite) or refuse it
    ///   (PostgreSQL), so `a\u{0}b` and `a\u{0}c` would be stored as one id: the second message
    ///   answered "duplicate" and lost. Refused (400), never cut.
    /// - Times (`sentAt`, `editedAt`) finite and plausible (``Timestamps/isPlausible(_:receivedAt:)``).
    public func storageProblem(receivedAt: Date) -> InboundProblem? {
        switch self {
        case .message(let message):
            return message.storageProblem(receivedAt: receivedAt)
        case .edit(let message, let editedAt):
            if let editedAt, !Timestamps.isPlausible(editedAt, receivedAt: receivedAt) {
                return .implausibleTime("the edit time of message '\(message.externalID.prefix(80))'", editedAt)
            }
            return message.storageProblem(receivedAt: receivedAt)
        case .deliveryStatus(let update):
            let fields: [(String, String?)] = [("external id", update.externalID), ("error", update.error)]
            if let field = fields.first(where: { $0.1?.hasNUL == true }) { return .nul("the status report's \(field.0)") }
            return nil
        case .ignored:
            return nil
        }
    }
}

extension InboundMessage {
    func storageProblem(receivedAt: Date) -> InboundProblem? {
        // Checked for every message: the words of the answer are made only when something is wrong.
        if externalID.hasNUL { return .nul("the message id") }
        func of(_ field: String) -> String { "\(field) of message '\(externalID.prefix(80))'" }
        let fields: [(String, String?)] = [
            ("the identity channel", from.channel), ("the sender's address", from.address), ("the customer's name", customerName),
            ("the text", text), ("the thread", threadRef), ("the reason for no automatic reply", noAutoReply),
        ]
        if let field = fields.first(where: { $0.1?.hasNUL == true }) { return .nul(of(field.0)) }
        if metadata.contains(where: { $0.key.hasNUL || $0.value.hasNUL }) { return .nul(of("the metadata")) }
        if references.contains(where: \.hasNUL) { return .nul(of("the references")) }
        for attachment in attachments where attachment.hasNUL { return .nul(of("an attachment")) }
        if let sentAt, !Timestamps.isPlausible(sentAt, receivedAt: receivedAt) {
            return .implausibleTime(of("the sending time"), sentAt)
        }
        return nil
    }
}

extension Attachment {
    var hasNUL: Bool {
        [kind, mimeType, fileName, url, platformID, notStoredReason].contains { $0?.hasNUL == true }
            || (details ?? [:]).contains { $0.key.hasNUL || $0.value.hasNUL }
    }
}

extension InboundProblem {
    static func nul(_ field: String) -> InboundProblem {
        InboundProblem(code: "nul_character", message: "\(field) contains a NUL character (U+0000), which cannot be stored")
    }

    static func implausibleTime(_ field: String, _ date: Date) -> InboundProblem {
        let t = date.timeIntervalSince1970
        let shown = t.isFinite && abs(t) < 1e12 ? ISO8601DateFormatter().string(from: date) : String(t)
        return InboundProblem(
            code: "implausible_time",
            message: "\(field) is \(shown): not a time a message was sent (before 1970, or more than a day ahead of this gateway's clock)")
    }
}

extension StringProtocol {
    /// Whether the text holds U+0000 (checked on the UTF-8 bytes, without decoding).
    var hasNUL: Bool { utf8.contains(0) }
}
