import Foundation
import SwitchboardAdapterAPI

/// Turns `json` call events (one object or an array) into calls through a ``JSONCallMap``.
public struct JSONCallDecoder: Sendable {
    public var map: JSONCallMap
    /// The zone of times written without one.
    public var timeZone: TimeZone

    public init(map: JSONCallMap, timeZone: TimeZone = .gmt) {
        self.map = map
        self.timeZone = timeZone
    }

    /// The calls, each with its position in an array (nil for a single object), and the items left out.
    public func decode(_ body: [UInt8]) throws(InboundError) -> (calls: [(call: CallRecord, item: Int?)], skipped: [SkippedRecord]) {
        let document = try JSONValue.parse(body)
        let items: [(JSONValue, Int?)] = if case .array(let list) = document { list.enumerated().map { ($1, $0) } } else { [(document, nil)] }
        var calls: [(call: CallRecord, item: Int?)] = []
        var skipped: [SkippedRecord] = []
        for (value, position) in items {
            do throws(InboundError) {
                calls.append((try call(value), position))
            } catch {
                guard items.count > 1 else { throw error }
                skipped.append(SkippedRecord(item: position, reason: error.reason, malformed: true))
            }
        }
        return (calls, skipped)
    }

    func call(_ item: JSONValue) throws(InboundError) -> CallRecord {
        guard case .object = item else { throw .malformed("a call event must be a JSON object") }
        func text(_ pointer: JSONPointer) -> String? {
            guard let value = item[pointer: pointer]?.text?.trimmed, !value.isEmpty else { return nil }
            return value
        }
        func seconds(_ pointer: JSONPointer, _ name: String) throws(InboundError) -> Int? {
            guard let raw = text(pointer) else { return nil }
            guard let n = Double(raw), n >= 0, n < 1e9 else {
                throw .malformed("'\(name)' at \(pointer) is not a number of seconds: \(raw.prefix(30))")
            }
            return Int(n.rounded())
        }
        guard let id = text(map.callID) else { throw .malformed("missing 'call_id' at JSON pointer \(map.callID)") }
        guard let from = item[pointer: map.from]?.text?.trimmed else { throw .malformed("missing 'from' at JSON pointer \(map.from)") }
        var started: Date?
        if let raw = text(map.start) {
            guard let date = CallTimestamp.parse(raw, timeZone: timeZone) else {
                throw .malformed("'start' at \(map.start) is not a date: \(raw.prefix(40))")
            }
            started = date
        }
        let duration = try seconds(map.duration, "duration")
        let billsec = try seconds(map.billsec, "billsec")
        let status = text(map.disposition)
        let outcome: CallOutcome
        if let status {
            guard let parsed = CallOutcome.parse(status, billsec: billsec ?? duration) else {
                throw .malformed("'disposition' at \(map.disposition) is no call status: \(status.prefix(30))")
            }
            outcome = parsed
        } else if let talked = billsec {
            outcome = talked > 0 ? .answered : .noAnswer
        } else {
            throw .malformed("missing 'disposition' at JSON pointer \(map.disposition) (and no 'billsec' to tell)")
        }
        var direction: CallDirection?
        if let word = text(map.direction) {
            guard let parsed = CallDirection(word: word) else {
                throw .malformed("'direction' at \(map.direction) is not inbound, outbound or internal: \(word.prefix(30))")
            }
            direction = parsed
        }
        let recording = text(map.recordingURL).flatMap { $0.hasPrefix("http://") || $0.hasPrefix("https://") ? $0 : nil }
        return CallRecord(
            callID: id, caller: from, callerName: text(map.callerName), called: text(map.to) ?? "", startedAt: started,
            duration: duration, billsec: billsec, outcome: outcome, status: status ?? outcome.rawValue, direction: direction,
            recordingURL: recording, agent: text(map.agent))
    }
}
