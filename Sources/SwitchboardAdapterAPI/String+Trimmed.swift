extension String {
    /// The string without leading and trailing whitespace and newlines. Unlike Foundation's
    /// `trimmingCharacters(in:)` it does not go through NSString, and it returns at once when there
    /// is nothing to trim — the common case on the inbound hot path.
    public var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return "" }
        if !first.properties.isWhitespace && !last.properties.isWhitespace { return self }
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(Substring(scalars[start...end]))
    }
}
