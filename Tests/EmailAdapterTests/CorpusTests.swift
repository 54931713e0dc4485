import Foundation
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing

@testable import EmailAdapter

/// The shared real-world mail corpus (Zammad, Chatwoot, mikel/mail test messages), read in place.
@Suite struct CorpusTests {
    /// Messages that must be refused, with why. Everything else must decode.
    static let expectedRejections: [String: String] = [:]

    /// Where a Zammad expectation is Zammad's own choice and we differ on purpose.
    static let exceptions: [String: [String: String]] = [
        "mail/zammad/mail046.box": [
            "from_display_name":
                "raw 8-bit GB2312 name without a declared charset: Zammad guesses another wrong charset (ÎäŔźłÉ); we read it as Windows-1252",
            "subject":
                "raw 8-bit GB2312 subject without a declared charset (the body says ISO-8859-1): Zammad detects the charset statistically; we use the fallback Windows-1252 and never guess",
            "attachments": "the attached message's name comes from its raw 8-bit GB2312 subject, decoded as Windows-1252",
        ],
        "mail/zammad/mail076.box": [
            "from_email":
                "From is `\"Millions Lottery Spain transfer\"@example.com>`: Zammad keeps the stray `>` in the address; we take the addr-spec",
            "from_display_name": "same header: Zammad makes a display name of the whole string; there is none",
        ],
    ]

    @Test("every corpus message is decoded or rejected with a reason, quickly", arguments: Corpus.mailFiles)
    func decodesOrRejects(file: String) throws {
        let raw = try Corpus.file(file)
        let clock = ContinuousClock()
        let started = clock.now
        let result = Result { () throws(InboundError) in try EmailDecoder.decode(raw, ownAddress: "support@example.com") }
        switch result {
        case .success(let message):
            #expect(Self.expectedRejections[file] == nil, "\(file) should have been rejected")
            #expect(message.from.address.contains("@"))
            #expect(!message.externalID.isEmpty)
            if let full = message.metadata["full_text"] { #expect(full.count > message.text.count, "full_text only when something was cut") }
        case .failure(let error):
            #expect(error.status == 400)
            #expect(!error.reason.isEmpty)
            #expect(Self.expectedRejections[file] != nil, "\(file) rejected: \(error.reason)")
        }
        #expect(clock.now - started < .seconds(2), "\(file) took too long")
    }

    @Test("the corpus holds the 66 messages the README lists")
    func corpusIsComplete() {
        #expect(Corpus.mailFiles.count == 66)
    }

    static var zammadCases: [String] {
        Corpus.mailFiles.filter { file in
            file.hasPrefix("mail/zammad/")
                && FileManager.default.fileExists(atPath: Corpus.root.appendingPathComponent(yamlPath(file)).path)
        }
    }

    static func yamlPath(_ file: String) -> String {
        String(file.dropLast(4)) + ".yml"
    }

    @Test("decoded fields match Zammad's expectations", arguments: zammadCases)
    func matchesZammad(file: String) throws {
        let expected = try ZammadExpectation(yaml: String(decoding: try Corpus.file(Self.yamlPath(file)), as: UTF8.self))
        let message = try EmailDecoder.decode(try Corpus.file(file), ownAddress: "support@example.com")
        let skip = Self.exceptions[file] ?? [:]
        if let email = expected.fromEmail, skip["from_email"] == nil {
            #expect(message.from.address == email.lowercased(), "\(file): from")
        }
        if let name = expected.fromDisplayName, skip["from_display_name"] == nil {
            #expect((message.customerName ?? "") == name, "\(file): display name")
        }
        if let subject = expected.subject, skip["subject"] == nil {
            #expect(Self.normalized(message.metadata["subject"]) == Self.normalized(subject), "\(file): subject")
        }
        if skip["to"] == nil {
            let ours = ZammadExpectation.addresses(in: message.metadata["to"])
            #expect(ZammadExpectation.addresses(in: expected.to).isSubset(of: ours), "\(file): to")
        }
        if skip["cc"] == nil {
            let ours = ZammadExpectation.addresses(in: message.metadata["cc"])
            #expect(ZammadExpectation.addresses(in: expected.cc).isSubset(of: ours), "\(file): cc")
        }
        if let names = expected.attachmentNames, skip["attachments"] == nil {
            let ours = message.attachments.compactMap(\.fileName).sorted()
            #expect(names.sorted() == ours, "\(file): attachments")
        }
    }

    /// Whitespace (folding, CR LF in encoded words, trailing blanks) is not part of a subject's meaning.
    static func normalized(_ text: String?) -> String {
        (text ?? "").split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
