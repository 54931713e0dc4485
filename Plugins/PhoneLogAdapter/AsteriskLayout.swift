import SwitchboardAdapterAPI

/// The column order of an Asterisk `Master.csv`. Two modules write files of that name with
/// different orders, so the layout is told from the row (or configured).
public struct AsteriskLayout: Sendable, Equatable {
    /// Column names, in order; `nil` for a column that is ignored.
    public var columns: [String?]

    public init(columns: [String?]) {
        self.columns = columns
    }

    /// Every column name a layout may use: Asterisk's CDR variables, plus `caller_name` for
    /// exports (FreeSWITCH's) that write the caller-id name apart from the number.
    public static let knownColumns: Set<String> = [
        "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata", "start",
        "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield", "peeraccount",
        "linkedid", "sequence", "caller_name",
    ]

    /// `cdr_csv` (`cdr-csv/Master.csv`): 16 columns, then `uniqueid` and `userfield` when logged,
    /// then `peeraccount`, `linkedid`, `sequence` with `newcdrcolumns=yes`.
    public static func cdrCSV(count: Int) -> AsteriskLayout {
        let all = [
            "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata", "start",
            "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield", "peeraccount",
            "linkedid", "sequence",
        ]
        return AsteriskLayout(columns: Array(all.prefix(count)))
    }

    /// `cdr_custom` with the sample's legacy mapping (`cdr-custom/Master.csv`): 19 columns.
    public static let cdrCustom = AsteriskLayout(columns: [
        "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "start", "answer", "end",
        "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield", "sequence",
    ])

    /// Which layout a row of `count` fields is in: cdr_csv writes 16, 17, 18 or 21 columns and the
    /// cdr_custom sample 19, so the count alone tells them apart.
    public static func detect(count: Int) -> AsteriskLayout? {
        switch count {
        case 16, 17, 18, 21: cdrCSV(count: count)
        case 19: cdrCustom
        default: nil
        }
    }

    /// A header row (`src,dst,…` as exports write it), read as the layout of the rows below it.
    public static func header(_ fields: [String]) -> AsteriskLayout? {
        let names = fields.map { $0.trimmed.lowercased() }
        guard names.contains("src"), names.contains("dst") || names.contains("start") else { return nil }
        return AsteriskLayout(columns: names.map { knownColumns.contains($0) ? $0 : nil })
    }

    func index(of column: String) -> Int? {
        columns.firstIndex(of: column)
    }
}
