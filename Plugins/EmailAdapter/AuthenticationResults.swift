/// One `Authentication-Results` header field (RFC 8601): who wrote it (the authserv-id) and the
/// result of each method it reports.
///
/// ```
/// Authentication-Results: mx.example.com;
///     dkim=pass (2048-bit key) header.d=customer.example header.s=s1;
///     spf=pass smtp.mailfrom=ann@customer.example;
///     dmarc=pass (p=reject) header.from=customer.example
/// ```
struct AuthenticationResults: Equatable {
    struct Result: Equatable {
        /// `dkim`, `spf`, `dmarc` … (lower-cased, without a method version).
        var method: String
        /// `pass`, `fail`, `softfail`, `none` … (lower-cased).
        var result: String
        /// `header.d`, `smtp.mailfrom`, `header.from` … (names lower-cased), values as written.
        var properties: [String: String]
    }

    var authservID: String
    var results: [Result]

    /// Parses one field's value; nil when it has no authserv-id.
    init?(_ value: String) {
        let statements = Self.split(Self.withoutComments(value))
        guard let first = statements.first, let id = Self.tokens(first).first, !id.contains("=") else { return nil }
        authservID = id.lowercased()
        results = statements.dropFirst().compactMap { statement in
            let tokens = Self.tokens(statement)
            guard let head = tokens.first, let equals = head.firstIndex(of: "=") else { return nil }
            let method = head[..<equals].split(separator: "/").first.map { $0.lowercased() } ?? ""
            guard !method.isEmpty else { return nil }
            var properties: [String: String] = [:]
            for token in tokens.dropFirst() {
                guard let sign = token.firstIndex(of: "=") else { continue }
                let name = token[..<sign].lowercased()
                if properties[name] == nil { properties[name] = Self.unquoted(token[token.index(after: sign)...]) }
            }
            return Result(method: method, result: Self.unquoted(head[head.index(after: equals)...]).lowercased(), properties: properties)
        }
    }

    /// RFC 5322 comments (`(2048-bit key)`, nested, with `\` escapes) removed; quoted strings kept.
    private static func withoutComments(_ value: String) -> String {
        var out = ""
        var depth = 0
        var quoted = false
        var escaped = false
        for character in value {
            if escaped {
                escaped = false
                if depth == 0 { out.append(character) }
                continue
            }
            switch character {
            case "\\":
                escaped = true
                if depth == 0 { out.append(character) }
            case "\"" where depth == 0:
                quoted.toggle()
                out.append(character)
            case "(" where !quoted:
                depth += 1
            case ")" where !quoted && depth > 0:
                depth -= 1
                if depth == 0 { out.append(" ") }
            default:
                if depth == 0 { out.append(character) }
            }
        }
        return out
    }

    /// The `;`-separated statements, `;` inside quotes kept.
    private static func split(_ value: String) -> [Substring] {
        var statements: [Substring] = []
        var start = value.startIndex
        var quoted = false
        var index = value.startIndex
        while index < value.endIndex {
            if value[index] == "\"" { quoted.toggle() }
            if value[index] == ";", !quoted {
                statements.append(value[start..<index])
                start = value.index(after: index)
            }
            index = value.index(after: index)
        }
        statements.append(value[start...])
        return statements
    }

    /// Blank-separated tokens, blanks inside quotes kept; `a = b` is joined into `a=b`.
    private static func tokens(_ statement: Substring) -> [Substring] {
        var raw: [Substring] = []
        var start: Substring.Index?
        var quoted = false
        var index = statement.startIndex
        while index < statement.endIndex {
            let character = statement[index]
            if character == "\"" { quoted.toggle() }
            if character.isWhitespace, !quoted {
                if let from = start { raw.append(statement[from..<index]) }
                start = nil
            } else if start == nil {
                start = index
            }
            index = statement.index(after: index)
        }
        if let from = start { raw.append(statement[from...]) }
        var joined: [Substring] = []
        var index2 = 0
        while index2 < raw.count {
            var token = String(raw[index2])
            while index2 + 1 < raw.count, token.hasSuffix("=") || raw[index2 + 1].hasPrefix("=") {
                index2 += 1
                token += raw[index2]
            }
            joined.append(Substring(token))
            index2 += 1
        }
        return joined
    }

    private static func unquoted(_ value: Substring) -> String {
        let trimmed = String(value).trimmed
        guard trimmed.count >= 2, trimmed.hasPrefix("\""), trimmed.hasSuffix("\"") else { return trimmed }
        return String(trimmed.dropFirst().dropLast())
    }
}
