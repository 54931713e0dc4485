import Foundation
import Yams

/// The fields of a Zammad `mailNNN.yml` expectation this project treats as ground truth. The files
/// are Ruby-tagged YAML; composing them as plain nodes ignores the tags.
struct ZammadExpectation {
    var fromEmail: String?
    var fromDisplayName: String?
    var subject: String?
    var to: String?
    var cc: String?
    /// Attachment file names, without Zammad's own copies of an HTML body (`content-alternative`);
    /// nil where the file says nothing about attachments.
    var attachmentNames: [String]?

    init(yaml: String) throws {
        guard let root = try Yams.compose(yaml: yaml)?.mapping else {
            throw CocoaError(.fileReadCorruptFile)
        }
        func scalar(_ key: String) -> String? { root[key]?.scalar?.string }
        fromEmail = scalar("from_email")
        fromDisplayName = scalar("from_display_name")
        subject = scalar("subject")
        to = scalar("to")
        cc = scalar("cc")
        attachmentNames = root["attachments"]?.sequence?.compactMap { node -> String? in
            guard let attachment = node.mapping else { return nil }
            let preferences = attachment["preferences"]?.mapping
            if preferences?["content-alternative"]?.scalar?.string == "true" { return nil }
            return attachment["filename"]?.scalar?.string
        }
    }

    /// The e-mail addresses in a Zammad address string, lower-cased.
    static func addresses(in text: String?) -> Set<String> {
        guard let text else { return [] }
        let pattern = /[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+/
        return Set(text.matches(of: pattern).map { String($0.output).lowercased() })
    }
}
