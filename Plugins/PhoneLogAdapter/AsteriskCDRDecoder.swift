import Foundation
import SwitchboardAdapterAPI

/// Turns Asterisk `Master.csv` rows into calls. A pure function of the text, so it is tested on the
/// corpus files directly and the import command can use it to keep a call's rows together.
///
/// A call that rang several phones (a ring group, `Local/` channels) leaves one row per leg,
/// joined by `linkedid` (else by the caller channel's `uniqueid`); they become one call, answered
/// when any leg talked, so an answered call never also shows as missed.
public struct AsteriskCDRDecoder: Sendable {
    /// How the columns are known.
    public enum LayoutChoice: Sendable, Equatable {
        /// From each row's column count or a header row.
        case auto
        case cdrCSV
        case cdrCustom
        /// An explicit order (`nil` ignores a column), for custom `cdr_custom` mappings and other exports.
        case columns([String?])
    }

    public var layout: LayoutChoice
    /// The zone of the times in the file (Asterisk writes local time and records no zone).
    public var timeZone: TimeZone
    /// Prepended to a recording file name found in `userfield` (`https://pbx.example.com/recordings/`).
    public var recordingURLPrefix: String?

    public init(layout: LayoutChoice = .auto, timeZone: TimeZone = .gmt, recordingURLPrefix: String? = nil) {
        self.layout = layout
        self.timeZone = timeZone
        self.recordingURLPrefix = recordingURLPrefix
    }

    /// The calls of a CSV body, each with the line of its first row, and the rows left out.
    public func decode(_ body: [UInt8]) -> (calls: [(call: CallRecord, line: Int)], skipped: [SkippedRecord]) {
        var legs: [Leg] = []
        var skipped: [SkippedRecord] = []
        var header: AsteriskLayout?
        for record in CSVReader(body, multilineFields: false).records() {
            if let problem = record.problem {
                skipped.append(SkippedRecord(line: record.line, reason: problem, malformed: true))
                continue
            }
            if layout == .auto, let names = AsteriskLayout.header(record.fields) {
                header = names
                continue
            }
            do throws(RowError) {
                legs.append(try leg(record, layout: try columns(for: record, header: header)))
            } catch {
                skipped.append(SkippedRecord(line: record.line, reason: error.reason, malformed: true))
            }
        }
        return (Self.calls(from: legs), skipped)
    }

    /// The key that joins a row to the other rows of its call, for callers that split a file into
    /// batches: rows with the same key must travel together. Nil for a row that is no CDR.
    public func callKey(of record: CSVReader.Record) -> String? {
        guard record.problem == nil, let layout = try? columns(for: record, header: nil),
            let leg = try? leg(record, layout: layout)
        else { return nil }
        return leg.groupKey
    }

    private func columns(for record: CSVReader.Record, header: AsteriskLayout?) throws(RowError) -> AsteriskLayout {
        let count = record.fields.count
        switch layout {
        case .auto:
            if let header, header.columns.count == count { return header }
            guard let detected = AsteriskLayout.detect(count: count) else {
                throw RowError("\(count) columns: neither cdr_csv (16, 17, 18 or 21 columns) nor cdr_custom (19); set 'layout' or 'columns'")
            }
            return detected
        case .cdrCSV:
            guard (16...21).contains(count) else { throw RowError("\(count) columns, but cdr_csv rows have 16 to 21") }
            return .cdrCSV(count: count)
        case .cdrCustom:
            guard count == 19 else { throw RowError("\(count) columns, but cdr_custom rows have 19") }
            return .cdrCustom
        case .columns(let names):
            guard count == names.count else { throw RowError("\(count) columns, but 'columns' names \(names.count)") }
            return AsteriskLayout(columns: names)
        }
    }

    struct RowError: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// One row: one channel's part in a call.
    struct Leg {
        var line: Int
        var caller: String
        var callerName: String?
        var called: String
        var start: Date
        var duration: Int?
        var billsec: Int?
        var outcome: CallOutcome
        var status: String
        var channel: String
        var dstchannel: String
        var uniqueid: String?
        var linkedid: String?
        var recording: String?

        var groupKey: String { linkedid ?? uniqueid ?? fallbackKey }

        /// Without `loguniqueid` a row has no id at all; these fields identify a call's rows.
        var fallbackKey: String {
            "cdr-"
                + Signatures.hmacSHA256Hex(key: "switchboard-cdr", Array("\(start.timeIntervalSince1970)|\(channel)|\(caller)|\(called)".utf8))
                .prefix(24)
        }

        var talked: Bool { outcome == .answered && (billsec ?? duration ?? 0) > 0 }
    }

    private func leg(_ record: CSVReader.Record, layout: AsteriskLayout) throws(RowError) -> Leg {
        func value(_ name: String) -> String? {
            guard let i = layout.index(of: name), i < record.fields.count else { return nil }
            let v = record.fields[i].trimmed
            return v.isEmpty ? nil : v
        }
        func seconds(_ name: String) throws(RowError) -> Int? {
            guard let raw = value(name) else { return nil }
            guard let n = Int(raw), n >= 0 else { throw RowError("\(name) '\(raw.prefix(30))' is not a number of seconds") }
            return n
        }
        guard let startText = value("start") else { throw RowError("no start time") }
        guard let start = CallTimestamp.parse(startText, timeZone: timeZone) else {
            throw RowError("start '\(startText.prefix(40))' is not a date and time")
        }
        let duration = try seconds("duration")
        let billsec = try seconds("billsec")
        guard let status = value("disposition") else { throw RowError("no disposition") }
        guard let outcome = CallOutcome.parse(status, billsec: billsec) else {
            throw RowError("disposition '\(status.prefix(30))' is not ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION")
        }
        let clid = value("clid").map(Self.callerID)
        let caller = value("src") ?? clid?.number ?? ""
        return Leg(
            line: record.line, caller: caller, callerName: value("caller_name") ?? clid?.name, called: value("dst") ?? "",
            start: start, duration: duration, billsec: billsec, outcome: outcome, status: status,
            channel: value("channel") ?? "", dstchannel: value("dstchannel") ?? "",
            uniqueid: value("uniqueid"), linkedid: value("linkedid"), recording: value("userfield").flatMap(recordingLink))
    }

    /// `"Ana García" <600123456>` → name and number; a bare number is the number.
    static func callerID(_ clid: String) -> (name: String?, number: String?) {
        guard let open = clid.lastIndex(of: "<"), let close = clid.lastIndex(of: ">"), open < close else {
            return (nil, clid.isEmpty ? nil : clid)
        }
        let number = String(clid[clid.index(after: open)..<close]).trimmed
        let name = String(clid[..<open]).trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).trimmed
        return (name.isEmpty ? nil : name, number.isEmpty ? nil : number)
    }

    /// A recording link in `userfield`: a URL as it stands, a file name under `recording_url_prefix`.
    private func recordingLink(_ field: String) -> String? {
        if field.hasPrefix("http://") || field.hasPrefix("https://") { return field }
        guard let prefix = recordingURLPrefix,
            let name = field.split(separator: "/").last,
            [".wav", ".mp3", ".gsm", ".ogg", ".wav49"].contains(where: { name.lowercased().hasSuffix($0) })
        else { return nil }
        return prefix + (prefix.hasSuffix("/") ? "" : "/") + name
    }

    /// The peer of a channel name: `PJSIP/1001-00000002` → `1001`. `Local/` channels are dialplan
    /// plumbing and name nobody.
    static func peer(of channel: String) -> String? {
        guard let slash = channel.firstIndex(of: "/") else { return nil }
        let tech = channel[..<slash].uppercased()
        guard tech != "LOCAL" else { return nil }
        var rest = channel[channel.index(after: slash)...]
        if let dash = rest.lastIndex(of: "-") { rest = rest[..<dash] }
        if let at = rest.firstIndex(of: "@") { rest = rest[..<at] }
        return rest.isEmpty ? nil : String(rest)
    }

    /// Joins each call's rows, keeping the order in which calls first appear.
    static func calls(from legs: [Leg]) -> [(call: CallRecord, line: Int)] {
        var order: [String] = []
        var groups: [String: [Leg]] = [:]
        for leg in legs {
            if groups[leg.groupKey] == nil { order.append(leg.groupKey) }
            groups[leg.groupKey, default: []].append(leg)
        }
        return order.map { key in
            let group = groups[key]!
            return (merge(group, id: key), group[0].line)
        }
    }

    /// The caller's own channel (`uniqueid == linkedid`) says who called whom; the leg that talked
    /// longest says whether and by whom it was answered; without one, the longest ringing leg says
    /// why not (a dialplan `Hangup` row is "ANSWERED" for 0 s and must not hide a missed call).
    static func merge(_ legs: [Leg], id: String) -> CallRecord {
        let primary = legs.first { $0.uniqueid != nil && $0.uniqueid == $0.linkedid } ?? legs.min { $0.start < $1.start }!
        let decisive =
            legs.filter(\.talked).max { ($0.billsec ?? 0) < ($1.billsec ?? 0) }
            ?? legs.filter { $0.outcome != .answered }.max { ($0.duration ?? 0) < ($1.duration ?? 0) }
            ?? primary
        return CallRecord(
            callID: id, caller: primary.caller, callerName: primary.callerName, called: primary.called,
            startedAt: legs.map(\.start).min(), duration: legs.compactMap(\.duration).max(), billsec: decisive.billsec,
            outcome: decisive.outcome, status: decisive.status,
            recordingURL: legs.lazy.compactMap(\.recording).first,
            agent: decisive.outcome == .answered ? peer(of: decisive.dstchannel) : nil,
            legs: legs.count)
    }
}
