import Foundation
import PhoneLogAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing

@Suite("Generic JSON call events")
struct JSONCallTests {
    /// FreeSWITCH mod_json_cdr, read through pointers.
    static let freeSWITCH: [(String, String)] = [
        ("call_id", "/variables/uuid"), ("from", "/callflow/0/caller_profile/caller_id_number"),
        ("to", "/callflow/0/caller_profile/destination_number"), ("start", "/variables/start_uepoch"),
        ("duration", "/variables/duration"), ("billsec", "/variables/billsec"), ("disposition", "/variables/hangup_cause"),
        ("agent", "/variables/dialed_user"), ("caller_name", "/callflow/0/caller_profile/caller_id_name"),
    ]

    static func adapter() throws -> PhoneLogAdapter {
        let (adapter, problems) = try phoneAdapter([
            ("format", scalar("json")), ("country_code", scalar("34")), ("inbound", mapping(freeSWITCH)),
        ])
        #expect(problems.isEmpty)
        return adapter
    }

    static let files = ["json_cdr_cgrates_engine_fscdr_test.json", "json_cdr_cgrates_agents_fsevent_test.json"]

    @Test func freeSWITCHJSONCDRsDecode() throws {
        let decoder = JSONCallDecoder(map: JSONCallMap(Dictionary(uniqueKeysWithValues: Self.freeSWITCH)))
        let calls = try Self.files.map { try decoder.decode(try Corpus.file("phone/freeswitch/" + $0)).calls[0].call }
        #expect(calls.map(\.callID) == ["3da8bf84-c133-4959-9e24-e72875cb33a1", "5a3a1d91-90d3-4db4-af5c-cc3ae15d93a4"])
        #expect(calls.map(\.caller) == ["1001", "1001"])
        #expect(calls.map(\.called) == ["1002", "1002"])
        #expect(calls.map(\.billsec) == [68, 21])
        #expect(calls.map(\.outcome) == [.answered, .answered])
        #expect(calls[0].startedAt == Date(timeIntervalSince1970: 1515666344.534355))
    }

    @Test func labCallsBetweenExtensionsAreSkippedWithTheReason() async throws {
        for file in Self.files {
            let batch = try await Self.adapter().receiveRecords(post(try Corpus.file("phone/freeswitch/" + file), type: "application/json"))
            #expect(batch.events.isEmpty)
            #expect(batch.skipped.map(\.reason) == ["internal call from 1001 to 1002"])
        }
    }

    @Test func anOutsideCallerBecomesTheirCall() async throws {
        // The same capture, as if 1001's call had come from outside.
        var text = String(decoding: try Corpus.file("phone/freeswitch/" + Self.files[0]), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"caller_id_number\": \"1001\"", with: "\"caller_id_number\": \"600 12 34 56\"")
        let batch = try await Self.adapter().receiveRecords(post(Array(text.utf8), type: "application/json"))
        let call = try #require(batch.messages.first)
        #expect(call.from.address == "+34600123456")
        #expect(call.externalID == "3da8bf84-c133-4959-9e24-e72875cb33a1")
        #expect(call.text == "Call from +34600123456 to 1002 answered by 1002, 1m 8s")
        #expect(call.kind == .contact)
    }

    @Test func arraysKeepTheGoodItems() async throws {
        let (adapter, _) = try phoneAdapter([("format", scalar("json")), ("country_code", scalar("1"))])
        let body = #"""
            [{"call_id": "a1", "from": "(202) 555-0143", "to": "+15005550006", "start": "2024-06-10T06:13:20Z", "duration": 0, "disposition": "busy", "direction": "inbound"},
             {"call_id": "a2", "from": "+12025550143", "disposition": "answered", "start": "not a date"},
             {"from": "+12025550143", "disposition": "answered"},
             {"call_id": "a4", "from": "12025550143", "to": "+15005550006", "disposition": "no-answer", "direction": "outbound"}]
            """#
        let batch = try await adapter.receiveRecords(post(Array(body.utf8), type: "application/json"))
        #expect(batch.messages.map(\.externalID) == ["a1", "a4"])
        #expect(batch.messages[0].from.address == "+12025550143")
        #expect(batch.messages[0].requestsCallback)
        #expect(batch.messages[1].kind == .activity)
        #expect(batch.messages[1].from.address == "+15005550006", "an outbound call's customer is the number called")
        #expect(batch.rejected.map(\.item) == [1, 2])
        #expect(batch.rejected[1].reason.contains("call_id"))
        // A single object that is no call is a 400.
        await #expect(throws: InboundError.malformed("missing 'call_id' at JSON pointer /call_id")) {
            _ = try await adapter.receiveRecords(post(Array(#"{"from": "+1202"}"#.utf8), type: "application/json"))
        }
    }
}
