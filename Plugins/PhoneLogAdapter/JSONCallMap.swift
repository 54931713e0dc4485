import Foundation
import SwitchboardAdapterAPI

/// Where the fields of a `json` call event are: RFC 6901 pointers, as the webhook adapter reads
/// messages. `call_id` and `from` must be found; the rest are optional.
public struct JSONCallMap: Sendable {
    public var callID: JSONPointer
    public var from: JSONPointer
    public var to: JSONPointer
    public var start: JSONPointer
    public var duration: JSONPointer
    public var billsec: JSONPointer
    public var disposition: JSONPointer
    public var direction: JSONPointer
    public var recordingURL: JSONPointer
    public var agent: JSONPointer
    public var callerName: JSONPointer

    /// The keys of the `inbound:` mapping with their default pointers.
    static let defaults: KeyValuePairs<String, String> = [
        "call_id": "/call_id", "from": "/from", "to": "/to", "start": "/start", "duration": "/duration",
        "billsec": "/billsec", "disposition": "/disposition", "direction": "/direction",
        "recording_url": "/recording_url", "agent": "/agent", "caller_name": "/caller_name",
    ]

    /// A mapping with the given pointers and defaults for the rest.
    public init(_ pointers: [String: String] = [:]) {
        func p(_ key: String) -> JSONPointer {
            JSONPointer(pointers[key] ?? Self.defaults.first { $0.key == key }!.value) ?? JSONPointer("/" + key)!
        }
        callID = p("call_id")
        from = p("from")
        to = p("to")
        start = p("start")
        duration = p("duration")
        billsec = p("billsec")
        disposition = p("disposition")
        direction = p("direction")
        recordingURL = p("recording_url")
        agent = p("agent")
        callerName = p("caller_name")
    }

    init(config: ConfigSection, applies: Bool) {
        guard let section = config.section("inbound") else {
            self.init()
            return
        }
        if !applies { config.problem("inbound", "'inbound' applies to format json only") }
        var pointers: [String: String] = [:]
        for (key, _) in Self.defaults {
            guard let text = section.string(key) else { continue }
            if JSONPointer(text) == nil || text.isEmpty {
                section.problem(key, "'\(text)' is not a JSON pointer (RFC 6901: it starts with /)")
            } else {
                pointers[key] = text
            }
        }
        section.finish()
        self.init(pointers)
    }
}
