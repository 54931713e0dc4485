import Foundation
import SwitchboardAdapterAPI

/// One mailbox from an address header: the decoded display name and the addr-spec.
struct EmailAddress: Sendable, Equatable {
    var name: String?
    var address: String

    /// `Name <addr>` or the bare address, for showing (not for sending: nothing is encoded).
    var display: String {
        guard let name, !name.isEmpty else { return address }
        return "\(name) <\(address)>"
    }
}

/// What GMime made of one raw message, before it becomes an ``InboundMessage``.
struct ParsedEmail: Sendable {
    var messageID: String?
    var subject: String?
    var from: [EmailAddress] = []
    var sender: [EmailAddress] = []
    var replyTo: [EmailAddress] = []
    var to: [EmailAddress] = []
    var cc: [EmailAddress] = []
    /// `to` / `cc` header text where no address could be read from it.
    var unparsedRecipients: [String: String] = [:]
    var date: Date?
    /// Ids without angle brackets, in header order.
    var inReplyTo: [String] = []
    var references: [String] = []
    /// Every header by lower-cased name, values decoded, in order of appearance.
    var headers: [String: [String]] = [:]
    /// Lower-cased names of the fields cut to ``HeaderBlock/maxFieldBytes``.
    var truncatedHeaders: [String] = []
    /// `multipart/report`, `text/plain` …, lower-cased.
    var contentType: String = "text/plain"
    /// The whole readable body: text parts as they are, HTML parts turned into text.
    var body: String = ""
    var attachments: [Attachment] = []

    func header(_ name: String) -> String? { headers[name.lowercased()]?.first }
}
