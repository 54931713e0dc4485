import Foundation

/// The reply fixtures of `Fixtures/replies/` (format in its README.md), read in place.
struct ReplyFixture: CustomStringConvertible {
    enum Kind: String { case text, html }

    var file: String
    var name: String
    var language: String
    var failureClass: String
    var source: String
    var kind: Kind
    var body: String
    var expected: String

    var description: String { "\(file):\(name)" }

    static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/replies")
    }

    static func all() throws -> [ReplyFixture] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".txt") }.sorted()
        return try files.flatMap { try parse(String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8), file: $0) }
    }

    /// Cases start at `=== name`; `key: value` lines until the first `--- ` section; sections run to
    /// the next `--- ` or `=== ` line.
    static func parse(_ text: String, file: String) throws -> [ReplyFixture] {
        let language = String(file.dropLast(4))
        var fixtures: [ReplyFixture] = []
        var current: ReplyFixture?
        var section: String?
        var lines: [String] = []

        func closeSection() {
            guard let name = section, current != nil else { return }
            let value = lines.joined(separator: "\n")
            switch name {
            case "text", "html":
                current?.kind = Kind(rawValue: name)!
                current?.body = value
            case "expected":
                current?.expected = value
            default:
                break
            }
            section = nil
            lines = []
        }

        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("=== ") {
                closeSection()
                if let done = current { fixtures.append(done) }
                current = ReplyFixture(
                    file: file, name: String(line.dropFirst(4)), language: language, failureClass: "", source: "",
                    kind: .text, body: "", expected: "")
            } else if line.hasPrefix("--- "), ["--- text", "--- html", "--- expected"].contains(line) {
                closeSection()
                section = String(line.dropFirst(4))
            } else if section != nil {
                lines.append(line)
            } else if current != nil, let colon = line.firstIndex(of: ":") {
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                switch line[..<colon] {
                case "lang": current?.language = value
                case "class": current?.failureClass = value
                case "source": current?.source = value
                default: break
                }
            }
        }
        closeSection()
        if let done = current { fixtures.append(done) }
        for fixture in fixtures where fixture.body.isEmpty || fixture.expected.isEmpty || fixture.failureClass.isEmpty {
            throw FixtureError.incomplete(fixture.description)
        }
        return fixtures
    }

    enum FixtureError: Error { case incomplete(String) }

    /// The body as a mail from a customer, UTF-8, 8bit.
    var mail: [UInt8] {
        let type = kind == .html ? "text/html" : "text/plain"
        let headers =
            "From: Customer <customer@example.org>\r\nTo: Support <support@example.com>\r\nSubject: Re: your request\r\n"
            + "Message-ID: <\(name)@fixtures.example>\r\nMIME-Version: 1.0\r\nContent-Type: \(type); charset=utf-8\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n\r\n"
        return Array((headers + body.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n").utf8)
    }

    /// Trailing blanks cut, runs of blank lines made one, blank lines at both ends dropped.
    static func normalized(_ text: String) -> String {
        var out: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = line
            while let last = line.last, last.isWhitespace { line = line.dropLast() }
            if line.isEmpty, out.last?.isEmpty ?? true { continue }
            out.append(line)
        }
        while out.last?.isEmpty == true { out.removeLast() }
        return out.joined(separator: "\n")
    }
}
