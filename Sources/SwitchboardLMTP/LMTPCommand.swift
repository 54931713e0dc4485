/// One LMTP command line (RFC 2033, with RFC 5321's syntax), parsed. Pure, so every odd line an
/// MTA or a stranger can send is tested without a socket.
enum LMTPCommand: Equatable {
    case lhlo(domain: String)
    /// `MAIL FROM:<path>`; `sender` is empty for the null sender `<>`.
    case mail(sender: String, parameters: [String: String])
    case rcpt(recipient: String, parameters: [String: String])
    case data
    case rset
    case noop
    case quit
    case starttls
    /// `HELO`/`EHLO`: an SMTP client talking to an LMTP port.
    case smtpGreeting
    case vrfy
    /// A known command with arguments that cannot be read, and why.
    case syntaxError(String)
    case unknown(String)

    /// The longest command line taken (RFC 5321 allows 512 octets; extensions add parameters).
    static let maxLineBytes = 2048

    /// Parses a line without its line end.
    static func parse(_ line: String) -> LMTPCommand {
        let verbEnd = line.firstIndex(where: { $0 == " " || $0 == ":" }) ?? line.endIndex
        let verb = line[..<verbEnd].uppercased()
        let rest = line[verbEnd...].trimmingSpaces
        switch verb {
        case "LHLO":
            guard !rest.isEmpty else { return .syntaxError("LHLO needs the client's name: LHLO mx.example.com") }
            return .lhlo(domain: String(rest))
        case "MAIL":
            guard let (path, parameters) = pathArgument(rest, keyword: "FROM:") else {
                return .syntaxError("expected MAIL FROM:<address> [parameters]")
            }
            return .mail(sender: path, parameters: parameters)
        case "RCPT":
            guard let (path, parameters) = pathArgument(rest, keyword: "TO:"), !path.isEmpty else {
                return .syntaxError("expected RCPT TO:<address> [parameters]")
            }
            return .rcpt(recipient: path, parameters: parameters)
        case "DATA": return rest.isEmpty ? .data : .syntaxError("DATA takes no arguments")
        case "RSET": return .rset
        case "NOOP": return .noop
        case "QUIT": return .quit
        case "STARTTLS": return rest.isEmpty ? .starttls : .syntaxError("STARTTLS takes no arguments")
        case "HELO", "EHLO": return .smtpGreeting
        case "VRFY": return .vrfy
        default: return .unknown(String(verb.prefix(20)))
        }
    }

    /// `FROM:<path> K=V K` (also `FROM: <path>`, which some clients send) → the path without
    /// brackets or source route, and the parameters by upper-cased name.
    private static func pathArgument(_ text: Substring, keyword: String) -> (String, [String: String])? {
        guard text.uppercased().hasPrefix(keyword) else { return nil }
        let afterKeyword = text.dropFirst(keyword.count).trimmingSpaces
        guard afterKeyword.first == "<", let close = closingBracket(afterKeyword) else { return nil }
        var path = afterKeyword[afterKeyword.index(after: afterKeyword.startIndex)..<close]
        // A source route (`<@a.example,@b.example:user@c.example>`) is obsolete; the mailbox is what counts.
        if path.first == "@", let colon = path.firstIndex(of: ":") { path = path[path.index(after: colon)...] }
        guard !path.contains(where: { $0 == " " || $0 == "\t" || $0 == "<" }) else { return nil }
        var parameters: [String: String] = [:]
        for word in afterKeyword[afterKeyword.index(after: close)...].split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            parameters[parts[0].uppercased()] = parts.count > 1 ? String(parts[1]) : ""
        }
        return (String(path), parameters)
    }

    /// The `>` closing the path, skipping a quoted local part (`<"a>b"@example.com>`).
    private static func closingBracket(_ text: Substring) -> Substring.Index? {
        var quoted = false
        var escaped = false
        for index in text.indices.dropFirst() {
            let c = text[index]
            if escaped {
                escaped = false
                continue
            }
            if quoted, c == "\\" {
                escaped = true
                continue
            }
            if c == "\"" {
                quoted.toggle()
                continue
            }
            if c == ">", !quoted { return index }
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
