extension String {
    /// The string without leading and trailing whitespace and newlines. Unlike Foundation's
    /// `trimmingCharacters(in:)` it does not go through NSString, and it returns at once when there
    /// is nothing to trim — the common case on the inbound hot path.
    public var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return "" }
        if !first.isTrimmedSpace && !last.isTrimmedSpace { return self }
        guard let start = scalars.firstIndex(where: { !$0.isTrimmedSpace }),
            let end = scalars.lastIndex(where: { !$0.isTrimmedSpace })
        else { return "" }
        return String(Substring(scalars[start...end]))
    }
}

extension Unicode.Scalar {
    /// Unicode's White_Space, answered inline for ASCII: the property lookup searches a table for
    /// every scalar, and the e-mail decoder trims every line of every body.
    fileprivate var isTrimmedSpace: Bool {
        value < 0x80 ? value == 0x20 || (0x09...0x0D).contains(value) : properties.isWhitespace
    }
}
