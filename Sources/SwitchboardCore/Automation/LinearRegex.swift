/// A regular expression matched in time linear in the text (a Pike VM over the pattern's NFA, as in
/// RE2), for rules' `text_matches`: no backtracking, so no pattern can stall the rules on hostile
/// text. Compiled once, when the configuration is read. The syntax is the usual subset: literals
/// and escapes, `.`, classes (`[a-z]`, `[^…]`, `\d \w \s` and their negations), anchors (`^ $ \A \z
/// \b \B`), groups (`(…)`, `(?:…)`, `(?<name>…)`), alternation, quantifiers (`* + ? {n} {n,} {n,m}`,
/// lazy forms accepted) and the flags `i`, `s`, `m` (`(?i)`, `(?i:…)`). Backreferences and
/// lookaround need backtracking and are refused with a reason.
public struct LinearRegex: Sendable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let program: [Instruction]
    private let foldsCase: Bool

    /// The largest compiled program (instructions) and counted repetition accepted.
    public static let maxProgram = 20_000
    public static let maxRepeat = 1_000

    public var description: String { pattern }

    /// Compiles `pattern`; throws ``LinearRegexError`` saying what is wrong and where.
    public init(_ pattern: String) throws(LinearRegexError) {
        self.pattern = pattern
        var parser = Parser(Array(pattern.unicodeScalars))
        let node = try parser.parseAll()
        var compiler = Compiler()
        try compiler.emit(node)
        compiler.program.append(.match)
        guard compiler.program.count <= Self.maxProgram else {
            throw LinearRegexError("the pattern is too large once its repetitions are expanded (at most \(Self.maxProgram) steps)")
        }
        program = compiler.program
        foldsCase = compiler.foldsCase
    }

    /// How a search ended.
    public enum Result: Sendable, Equatable {
        case matched, notMatched
        /// The work budget ran out first (counted as no match).
        case tooCostly
    }

    /// Searches `text` (its first `limit` characters) for a match anywhere, within `budget` steps.
    public func search(_ text: String, limit: Int = 10_000, budget: Int = 5_000_000) -> Result {
        var input: [Unicode.Scalar] = []
        input.reserveCapacity(min(limit, text.unicodeScalars.underestimatedCount))
        for scalar in text.unicodeScalars {
            if input.count >= limit { break }
            input.append(scalar)
        }
        let folded = foldsCase ? input.map(Self.fold) : []
        var vm = VM(program: program, input: input, folded: folded, budget: budget)
        return vm.run()
    }

    /// Whether `text` contains a match (``search(_:limit:budget:)`` found one in time).
    public func matches(_ text: String) -> Bool { search(text) == .matched }

    static func fold(_ s: Unicode.Scalar) -> Unicode.Scalar {
        let lower = s.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first! : s
    }

    static func upper(_ s: Unicode.Scalar) -> Unicode.Scalar {
        let upper = s.properties.uppercaseMapping.unicodeScalars
        return upper.count == 1 ? upper.first! : s
    }

    static func isWord(_ s: Unicode.Scalar) -> Bool {
        s == "_" || s.properties.isAlphabetic || s.properties.numericType != nil || s.properties.generalCategory == .nonspacingMark
    }

    // MARK: - Program

    enum Assertion: Sendable {
        case lineStart, lineEnd, textStart, textEnd, wordBoundary, notWordBoundary
    }

    enum Builtin: Sendable {
        case digit, word, space

        func contains(_ s: Unicode.Scalar) -> Bool {
            switch self {
            case .digit: s.properties.numericType == .decimal
            case .word: LinearRegex.isWord(s)
            case .space: s.properties.isWhitespace
            }
        }
    }

    struct CharClass: Sendable {
        var ranges: [ClosedRange<UInt32>] = []
        var builtins: [(Builtin, negated: Bool)] = []
        var negated = false

        func contains(_ s: Unicode.Scalar, caseInsensitive: Bool) -> Bool {
            func raw(_ c: Unicode.Scalar) -> Bool {
                ranges.contains { $0.contains(c.value) } || builtins.contains { $0.0.contains(c) != $0.negated }
            }
            let found = raw(s) || (caseInsensitive && (raw(LinearRegex.fold(s)) || raw(LinearRegex.upper(s))))
            return found != negated
        }
    }

    enum Test: Sendable {
        case scalar(Unicode.Scalar, caseInsensitive: Bool)
        case set(CharClass, caseInsensitive: Bool)
        case any(dotAll: Bool)
    }

    enum Instruction: Sendable {
        case char(Test)
        case split(Int, Int)
        case jump(Int)
        case assert(Assertion)
        case match
    }

    // MARK: - Matching

    struct VM {
        let program: [Instruction]
        let input: [Unicode.Scalar]
        let folded: [Unicode.Scalar]
        var budget: Int

        init(program: [Instruction], input: [Unicode.Scalar], folded: [Unicode.Scalar], budget: Int) {
            self.program = program
            self.input = input
            self.folded = folded
            self.budget = budget
        }

        /// Threads are program counters; each position's set is kept once (a sparse set by generation),
        /// so the work per character is bounded by the program's size.
        mutating func run() -> Result {
            var current: [Int] = []
            var next: [Int] = []
            var seen = [Int](repeating: -1, count: program.count)
            var generation = 0
            var stack: [Int] = []
            for position in 0...input.count {
                // Unanchored search: a new thread starts at every position.
                if add(0, at: position, into: &current, seen: &seen, generation: generation, stack: &stack) { return .matched }
                if budget <= 0 { return .tooCostly }
                guard position < input.count else { break }
                generation += 1
                next.removeAll(keepingCapacity: true)
                for pc in current {
                    budget -= 1
                    guard case .char(let test) = program[pc], accepts(test, at: position) else { continue }
                    if add(pc + 1, at: position + 1, into: &next, seen: &seen, generation: generation, stack: &stack) { return .matched }
                }
                if budget <= 0 { return .tooCostly }
                swap(&current, &next)
                // The threads just added belong to this generation; the start thread of the next
                // position joins them.
            }
            return .notMatched
        }

        /// Follows jumps, splits and assertions from `pc` at `position`, adding the threads that wait
        /// for a character; true when a path reaches `match`.
        private mutating func add(
            _ start: Int, at position: Int, into list: inout [Int], seen: inout [Int], generation: Int, stack: inout [Int]
        ) -> Bool {
            stack.removeAll(keepingCapacity: true)
            stack.append(start)
            while let pc = stack.popLast() {
                guard seen[pc] != generation else { continue }
                seen[pc] = generation
                budget -= 1
                switch program[pc] {
                case .match: return true
                case .jump(let to): stack.append(to)
                case .split(let a, let b):
                    stack.append(b)
                    stack.append(a)
                case .assert(let kind):
                    if holds(kind, at: position) { stack.append(pc + 1) }
                case .char: list.append(pc)
                }
            }
            return false
        }

        private func accepts(_ test: Test, at position: Int) -> Bool {
            let s = input[position]
            switch test {
            case .any(let dotAll): return dotAll || s != "\n"
            case .scalar(let wanted, let ci): return s == wanted || (ci && folded[position] == wanted)
            case .set(let set, let ci): return set.contains(s, caseInsensitive: ci)
            }
        }

        private func holds(_ kind: Assertion, at position: Int) -> Bool {
            switch kind {
            case .textStart: return position == 0
            case .textEnd: return position == input.count
            case .lineStart: return position == 0 || input[position - 1] == "\n"
            case .lineEnd: return position == input.count || input[position] == "\n"
            case .wordBoundary, .notWordBoundary:
                let before = position > 0 && LinearRegex.isWord(input[position - 1])
                let after = position < input.count && LinearRegex.isWord(input[position])
                return (before != after) == (kind == .wordBoundary)
            }
        }
    }
}

/// Why a pattern cannot be used, with the position it was found at.
public struct LinearRegexError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
