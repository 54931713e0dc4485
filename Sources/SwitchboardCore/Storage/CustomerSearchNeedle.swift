/// What customer search compares, the same on every engine: the typed text lowercased, or a phone
/// number's digits — so "+34 600 12" finds "+3460012…".
public struct CustomerSearchNeedle: Sendable {
    /// The text as names and addresses are compared with it.
    public let plain: String

    public init(_ text: String) {
        let digits = text.filter { $0.isASCII && $0.isNumber }
        let phoneLike = digits.count >= 4 && text.allSatisfy { $0.isNumber || " +-().".contains($0) }
        plain = phoneLike ? digits : text.lowercased()
    }

    /// `%plain%` for SQL's `LIKE`/`ILIKE … ESCAPE '\'`, with their own characters escaped.
    public var likePattern: String {
        "%" + plain.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            + "%"
    }
}
