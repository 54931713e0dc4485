extension LinearRegex {
    /// The flags in force at a point of the pattern.
    struct Flags: Sendable {
        var caseInsensitive = false
        var dotAll = false
        var multiline = false
    }

    indirect enum Node: Sendable {
        case empty
        case char(Test)
        case concat([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int?)
        case assert(Assertion)
    }

    /// Recursive descent over the pattern's scalars; every error names the position (1-based).
    struct Parser {
        let chars: [Unicode.Scalar]
        var index = 0

        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        mutating func parseAll() throws(LinearRegexError) -> Node {
            var flags = Flags()
            let node = try parseAlternation(&flags)
            if index < chars.count { throw error("unbalanced ')'") }
            return node
        }

        func error(_ message: String, at position: Int? = nil) -> LinearRegexError {
            LinearRegexError("\(message) at position \((position ?? index) + 1)")
        }

        var atEnd: Bool { index >= chars.count }
        func peek(_ offset: Int = 0) -> Unicode.Scalar? { index + offset < chars.count ? chars[index + offset] : nil }

        mutating func parseAlternation(_ flags: inout Flags) throws(LinearRegexError) -> Node {
            var branches = [try parseConcat(&flags)]
            while peek() == "|" {
                index += 1
                branches.append(try parseConcat(&flags))
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func parseConcat(_ flags: inout Flags) throws(LinearRegexError) -> Node {
            var items: [Node] = []
            while let c = peek(), c != "|", c != ")" {
                guard let atom = try parseAtom(&flags) else { continue }
                items.append(try parseQuantifier(atom))
            }
            return items.count == 1 ? items[0] : (items.isEmpty ? .empty : .concat(items))
        }

        /// One atom, or nil for a flag group that only changed the flags.
        mutating func parseAtom(_ flags: inout Flags) throws(LinearRegexError) -> Node? {
            let start = index
            let c = chars[index]
            index += 1
            switch c {
            case ".": return .char(.any(dotAll: flags.dotAll))
            case "^": return .assert(flags.multiline ? .lineStart : .textStart)
            case "$": return .assert(flags.multiline ? .lineEnd : .textEnd)
            case "[": return .char(.set(try parseClass(flags), caseInsensitive: flags.caseInsensitive))
            case "(": return try parseGroup(&flags, start: start)
            case "\\": return try parseEscape(flags)
            case "*", "+", "?": throw error("'\(c)' has nothing to repeat", at: start)
            case "{":
                if quantifierAhead(from: start) { throw error("'{' has nothing to repeat", at: start) }
                return literal(c, flags)
            default: return literal(c, flags)
            }
        }

        func literal(_ c: Unicode.Scalar, _ flags: Flags) -> Node {
            flags.caseInsensitive ? .char(.scalar(LinearRegex.fold(c), caseInsensitive: true)) : .char(.scalar(c, caseInsensitive: false))
        }

        mutating func parseGroup(_ flags: inout Flags, start: Int) throws(LinearRegexError) -> Node? {
            var inner = flags
            if peek() == "?" {
                index += 1
                switch peek() {
                case ":": index += 1
                case "=", "!": throw error("lookahead is not supported (rules' patterns are matched in linear time)", at: start)
                case ">": throw error("atomic groups are not supported (rules' patterns are matched in linear time)", at: start)
                case "<" where peek(1) == "=" || peek(1) == "!":
                    throw error("lookbehind is not supported (rules' patterns are matched in linear time)", at: start)
                case "<", "P":
                    if peek() == "P" { index += 1 }
                    guard peek() == "<" else { throw error("unknown group syntax", at: start) }
                    index += 1
                    while let c = peek(), c != ">" {
                        guard LinearRegex.isWord(c) else { throw error("a group name may hold letters, digits and '_'") }
                        index += 1
                    }
                    guard peek() == ">" else { throw error("unterminated group name", at: start) }
                    index += 1
                default:
                    // Flags: (?i) (?-i) (?is:…)
                    var on = true
                    var sawFlag = false
                    while let c = peek(), c != ")", c != ":" {
                        switch c {
                        case "-": on = false
                        case "i": inner.caseInsensitive = on
                        case "s": inner.dotAll = on
                        case "m": inner.multiline = on
                        case "x", "u", "U": break
                        default: throw error("unknown flag '\(c)' (i, s and m are supported)")
                        }
                        sawFlag = true
                        index += 1
                    }
                    guard sawFlag, let end = peek() else { throw error("unterminated group", at: start) }
                    index += 1
                    if end == ")" {
                        flags = inner
                        return nil
                    }
                }
            }
            let node = try parseAlternation(&inner)
            guard peek() == ")" else { throw error("missing ')'", at: start) }
            index += 1
            return node
        }

        mutating func parseEscape(_ flags: Flags) throws(LinearRegexError) -> Node {
            guard let c = peek() else { throw error("the pattern ends with a lone '\\'") }
            index += 1
            switch c {
            case "A": return .assert(.textStart)
            case "z", "Z": return .assert(.textEnd)
            case "b": return .assert(.wordBoundary)
            case "B": return .assert(.notWordBoundary)
            case "d", "D", "w", "W", "s", "S":
                var set = CharClass()
                set.builtins = [(builtin(c), negated: c.properties.isUppercase)]
                return .char(.set(set, caseInsensitive: false))
            default:
                return literal(try escapedScalar(c), flags)
            }
        }

        func builtin(_ c: Unicode.Scalar) -> Builtin {
            switch c {
            case "d", "D": .digit
            case "w", "W": .word
            default: .space
            }
        }

        /// The scalar an escape stands for (`\n`, `\x41`, `\.`); letters and digits without a meaning are refused.
        mutating func escapedScalar(_ c: Unicode.Scalar) throws(LinearRegexError) -> Unicode.Scalar {
            switch c {
            case "n": return "\n"
            case "t": return "\t"
            case "r": return "\r"
            case "f": return "\u{0C}"
            case "v": return "\u{0B}"
            case "e": return "\u{1B}"
            case "0": return "\u{0}"
            case "x", "u":
                var digits = ""
                if c == "x", peek() == "{" {
                    index += 1
                    while let d = peek(), d != "}" {
                        digits.unicodeScalars.append(d)
                        index += 1
                    }
                    guard peek() == "}" else { throw error("unterminated \\x{…}") }
                    index += 1
                } else {
                    for _ in 0..<(c == "x" ? 2 : 4) {
                        guard let d = peek() else { break }
                        digits.unicodeScalars.append(d)
                        index += 1
                    }
                }
                guard let value = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(value) else {
                    throw error("'\\\(c)\(digits)' is not a character code")
                }
                return scalar
            case "1"..."9", "k", "g":
                throw error("backreferences are not supported (rules' patterns are matched in linear time)")
            case "p", "P":
                throw error("Unicode property classes (\\p{…}) are not supported; use a class such as [a-zA-Z] or \\w")
            default:
                if c.properties.isAlphabetic || c.properties.numericType != nil {
                    throw error("'\\\(c)' is not a known escape")
                }
                return c
            }
        }

        mutating func parseClass(_ flags: Flags) throws(LinearRegexError) -> CharClass {
            let start = index - 1
            var set = CharClass()
            if peek() == "^" {
                set.negated = true
                index += 1
            }
            var first = true
            while true {
                guard let c = peek() else { throw error("unterminated character class '['", at: start) }
                if c == "]" && !first {
                    index += 1
                    break
                }
                first = false
                index += 1
                var low: Unicode.Scalar
                if c == "\\" {
                    guard let e = peek() else { throw error("unterminated character class '['", at: start) }
                    index += 1
                    if "dDwWsS".unicodeScalars.contains(e) {
                        set.builtins.append((builtin(e), negated: e.properties.isUppercase))
                        continue
                    }
                    if e == "b" { low = "\u{08}" } else { low = try escapedScalar(e) }
                } else if c == "[", peek() == ":" {
                    throw error("POSIX classes ([:alpha:]) are not supported; use \\w, \\d or \\s")
                } else {
                    low = c
                }
                if peek() == "-", let after = peek(1), after != "]" {
                    index += 1
                    var high = after
                    index += 1
                    if after == "\\" {
                        guard let e = peek() else { throw error("unterminated character class '['", at: start) }
                        index += 1
                        high = try escapedScalar(e)
                    }
                    guard low.value <= high.value else { throw error("the range \(low)-\(high) is backwards") }
                    set.ranges.append(low.value...high.value)
                } else {
                    set.ranges.append(low.value...low.value)
                }
            }
            return set
        }

        func quantifierAhead(from brace: Int) -> Bool {
            var i = brace + 1
            var sawDigit = false
            while i < chars.count, chars[i].properties.numericType == .decimal, chars[i].isASCII {
                i += 1
                sawDigit = true
            }
            guard sawDigit, i < chars.count else { return false }
            if chars[i] == "}" { return true }
            guard chars[i] == "," else { return false }
            i += 1
            while i < chars.count, chars[i].properties.numericType == .decimal, chars[i].isASCII { i += 1 }
            return i < chars.count && chars[i] == "}"
        }

        mutating func parseQuantifier(_ atom: Node) throws(LinearRegexError) -> Node {
            var node = atom
            while let c = peek() {
                let start = index
                var range: (Int, Int?)
                switch c {
                case "*":
                    range = (0, nil)
                    index += 1
                case "+":
                    range = (1, nil)
                    index += 1
                case "?":
                    range = (0, 1)
                    index += 1
                case "{" where quantifierAhead(from: index):
                    index += 1
                    let low = readNumber() ?? 0
                    var high: Int? = low
                    if peek() == "," {
                        index += 1
                        high = readNumber()
                    }
                    index += 1  // '}'
                    range = (low, high)
                    if let high, high < low { throw error("{\(low),\(high)}: the maximum is below the minimum", at: start) }
                    if max(low, high ?? 0) > LinearRegex.maxRepeat {
                        throw error("repetitions are limited to \(LinearRegex.maxRepeat)", at: start)
                    }
                default:
                    return node
                }
                if case .assert = node { throw error("an anchor cannot be repeated", at: start) }
                if peek() == "?" {
                    index += 1  // lazy: the same language, and only whether it matches counts
                } else if peek() == "+" {
                    throw error("possessive quantifiers are not supported (rules' patterns are matched in linear time)")
                }
                node = .repeated(node, min: range.0, max: range.1)
            }
            return node
        }

        mutating func readNumber() -> Int? {
            var value = 0
            var read = false
            while let d = peek(), d.isASCII, let digit = Int(String(d)) {
                value = min(value * 10 + digit, 1_000_000)
                read = true
                index += 1
            }
            return read ? value : nil
        }
    }

    /// Emits the Pike VM program of a parsed pattern.
    struct Compiler {
        var program: [Instruction] = []
        var foldsCase = false

        mutating func emit(_ node: Node) throws(LinearRegexError) {
            guard program.count <= LinearRegex.maxProgram else {
                throw LinearRegexError("the pattern is too large once its repetitions are expanded (at most \(LinearRegex.maxProgram) steps)")
            }
            switch node {
            case .empty: break
            case .char(let test):
                if case .scalar(_, true) = test { foldsCase = true }
                program.append(.char(test))
            case .assert(let kind): program.append(.assert(kind))
            case .concat(let items): for item in items { try emit(item) }
            case .alternation(let branches):
                // split L1, next; L1: branch; jump end; next: split …
                var jumps: [Int] = []
                for (i, branch) in branches.enumerated() {
                    if i < branches.count - 1 {
                        let split = program.count
                        program.append(.split(split + 1, 0))
                        try emit(branch)
                        jumps.append(program.count)
                        program.append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for j in jumps { program[j] = .jump(program.count) }
            case .repeated(let inner, let min, let max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    // Optional copies: split over each.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        program.append(.split(0, 0))
                        try emit(inner)
                    }
                    for s in splits { program[s] = .split(s + 1, program.count) }
                } else {
                    // L: split body, end; body; jump L
                    let loop = program.count
                    program.append(.split(0, 0))
                    try emit(inner)
                    program.append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }
}
