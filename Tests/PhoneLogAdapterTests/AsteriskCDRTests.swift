import Foundation
import Logging
import PhoneLogAdapter
import SwitchboardAdapterAPI
import SwitchboardTestSupport
import Testing

@Suite("Asterisk CDR")
struct AsteriskCDRTests {
    static let cdrCSV = "phone/asterisk/cdr-csv_Master_newcdrcolumns_excerpt_pseudonymized.csv"
    static let cdrCustom = "phone/asterisk/cdr-custom_Master.csv"

    /// The pseudonymized excerpt is from a Russian PBX: national numbers start with the trunk
    /// prefix 8, and 6-digit numbers are the site's DIDs.
    static func russianLine(_ extra: [(String, ConfigNode.Value)] = []) throws -> PhoneLogAdapter {
        let (adapter, problems) = try phoneAdapter(
            [
                ("format", scalar("asterisk-cdr")), ("country_code", scalar("7")), ("max_extension_length", scalar("6")),
                ("timezone", scalar("Europe/Moscow")),
            ] + extra)
        #expect(problems.isEmpty)
        return adapter
    }

    @Test func cdrCSVLayoutJoinsRingGroupLegsIntoCalls() async throws {
        let batch = try await Self.russianLine().receiveRecords(post(try Corpus.file(Self.cdrCSV)))
        #expect(batch.skipped.isEmpty)
        let calls = batch.messages
        // 14 rows, 6 calls (linkedid): every row is part of a call.
        #expect(
            calls.map(\.externalID) == [
                "1706368044.0", "1706369600.6", "1706372196.12", "1706407446.50", "1706415046.98", "mainserverdss-1706420300.0",
            ])
        #expect(calls.map(\.metadata["legs"]) == [nil, "3", "2", "4", "2", "2"])
        #expect(calls.allSatisfy { $0.kind == .contact && $0.from.channel == "phone" })
        #expect(calls.map(\.from.address) == ["+79000000001", "+79000000001", "+79000000001", "+79000000004", "+70000000005", "+70000000006"])

        // A ring group where nobody picked up: the dialplan's 0-second "ANSWERED" Hangup row does not hide it.
        let missed = calls[1]
        #expect(missed.requestsCallback)
        #expect(missed.text == "Missed call from +79000000001 to 211553 (no answer)")
        #expect(missed.metadata["disposition"] == "no-answer")
        #expect(missed.metadata["called"] == "211553")
        #expect(missed.sentAt == ISO8601DateFormatter().date(from: "2024-01-27T12:33:20Z"), "Moscow is UTC+3")
        #expect(calls[2].requestsCallback)

        // One leg talked 17 s on SIP/301: answered by extension 301, never also a missed call.
        let answered = calls[3]
        #expect(!answered.requestsCallback)
        #expect(answered.text == "Call from +79000000004 to 211553 answered by 301, 17s")
        #expect(answered.metadata["agent_extension"] == "301")
        #expect(answered.metadata["billsec"] == "17")
        #expect(answered.metadata["direction"] == "inbound")
        #expect(calls[5].metadata["agent_extension"] == "301")
        #expect(calls[0].text == "Call from +79000000001 to 211474 answered, 27s")
        #expect(calls.filter(\.requestsCallback).count == 2)
    }

    @Test func cdrCustomLayoutIsToldApartByItsColumns() throws {
        let decoder = AsteriskCDRDecoder()
        let (calls, skipped) = decoder.decode(try Corpus.file(Self.cdrCustom))
        #expect(skipped.isEmpty)
        #expect(calls.count == 14)
        #expect(calls.map(\.line) == Array(1...14))
        let first = calls[0].call
        #expect(first.callID == "1690325492.2")
        #expect(first.caller == "client1")
        #expect(first.called == "6789")
        #expect(first.outcome == .answered)
        #expect(first.billsec == 13 && first.duration == 31)
        #expect(first.agent == "client2")
        #expect(calls[1].call.outcome == .noAnswer)
        #expect(calls[1].call.agent == nil)
    }

    @Test func labCallsBetweenExtensionsAreReportedNotStored() async throws {
        let (adapter, _) = try phoneAdapter([("format", scalar("asterisk-cdr")), ("country_code", scalar("34"))])
        let batch = try await adapter.receiveRecords(post(try Corpus.file(Self.cdrCustom)))
        #expect(batch.events.isEmpty)
        #expect(batch.skipped.count == 14)
        #expect(batch.skipped.map(\.line) == Array(1...14))
        #expect(batch.skipped.allSatisfy { !$0.malformed && $0.reason.hasPrefix("internal call from client") })
    }

    @Test func cdrCustomRowsOfAnOutsideCaller() async throws {
        var text = String(decoding: try Corpus.file(Self.cdrCustom), as: UTF8.self)
        text = text.replacingOccurrences(of: "client1\",\"6789", with: "600123456\",\"910000000")
        text = text.replacingOccurrences(of: "<client1>", with: "<600123456>")
        let (adapter, _) = try phoneAdapter([("format", scalar("asterisk-cdr")), ("country_code", scalar("34")), ("layout", scalar("cdr_custom"))])
        let batch = try await adapter.receiveRecords(post(Array(text.utf8)))
        let calls = batch.messages
        #expect(calls.count == 9, "the rows where client1 called")
        #expect(calls.allSatisfy { $0.from.address == "+34600123456" })
        #expect(calls[0].text == "Call from +34600123456 to +34910000000 answered by client2, 13s")
        let missed = try #require(calls.first { $0.externalID == "1690329224.3" })
        #expect(missed.requestsCallback)
        #expect(missed.text == "Missed call from +34600123456 to +34910000000 (no answer)")
    }

    @Test func reimportingTheSameFileGivesTheSameIDs() async throws {
        let adapter = try Self.russianLine()
        let body = try Corpus.file(Self.cdrCSV)
        let first = try await adapter.receiveRecords(post(body)).messages.map(\.externalID)
        let second = try await adapter.receiveRecords(post(body)).messages.map(\.externalID)
        #expect(first == second)
        #expect(Set(first).count == first.count)
    }

    @Test func malformedRowsAreReportedByLineAndTheGoodRowsKept() async throws {
        let rows = String(decoding: try Corpus.file(Self.cdrCSV), as: UTF8.self).split(separator: "\n").map(String.init)
        let lines = [
            rows[0],  // 1 good
            "\"\",\"600\",\"too\",\"few\"",  // 2 wrong column count
            rows[12].replacingOccurrences(of: "2024-01-28 05:38:20", with: "yesterday"),  // 3 bad start
            "",  // 4 blank: ignored
            rows[1].replacingOccurrences(of: "\"NO ANSWER\"", with: "\"2024-01-01\""),  // 5 a shifted column
            rows[6],  // 6 good
            rows[13].replacingOccurrences(of: ",4,0,", with: ",four,0,"),  // 7 duration not a number
            "\"\",\"600123456\",\"s\",\"ctx\",\"unterminated",  // 8 quote never closes
            rows[7],  // 9 good (same call as line 6)
        ]
        let adapter = try Self.russianLine()
        let batch = try await adapter.receiveRecords(post(Array(lines.joined(separator: "\r\n").utf8)))
        #expect(batch.messages.map(\.externalID) == ["1706368044.0", "1706407446.50"])
        #expect(batch.rejected.map(\.line) == [2, 3, 5, 7, 8])
        #expect(batch.rejected[0].reason.contains("4 columns"))
        #expect(batch.rejected[1].reason.contains("start 'yesterday'"))
        #expect(batch.rejected[2].reason.contains("disposition"))
        #expect(batch.rejected[3].reason.contains("duration 'four'"))
        #expect(batch.rejected[4].reason.contains("never closes"))

        // A gateway that only knows `receive` still stores the good rows...
        let result = try await adapter.receive(post(Array(lines.joined(separator: "\n").utf8)))
        guard case .events(let events) = result else {
            Issue.record("expected events")
            return
        }
        #expect(events.count == 2)
        // ...and a batch with nothing usable is refused with the lines.
        await #expect(
            throws: InboundError.malformed(
                "line 1: 4 columns: neither cdr_csv (16, 17, 18 or 21 columns) nor cdr_custom (19); set 'layout' or 'columns'; line 2: start 'yesterday' is not a date and time"
            )
        ) {
            _ = try await adapter.receive(post(Array([lines[1], lines[2]].joined(separator: "\n").utf8)))
        }
    }

    @Test func quotedFieldsHeaderRowsOutboundAndAnonymousCalls() async throws {
        let csv = #"""
            accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,disposition,amaflags,uniqueid,userfield\#r
            "","0034600123456","910000000","from-pstn","""García, Ana"" <0034600123456>","PJSIP/trunk-01","PJSIP/1001-02","Dial","PJSIP/1001,30","2024-06-10 08:00:00","2024-06-10 08:00:05","2024-06-10 08:04:17",257,252,"ANSWERED","DOCUMENTATION","1718006400.1","https://pbx.example.com/rec/1718006400.1.wav"\#r
            "","1001","600123456","from-internal","""Agent"" <1001>","PJSIP/1001-03","PJSIP/trunk-04","Dial","PJSIP/trunk/600123456","2024-06-10 09:00:00",,"2024-06-10 09:00:30",30,0,"BUSY","DOCUMENTATION","1718010000.2",""\#r
            "","anonymous","910000000","from-pstn","""Anonymous"" <anonymous>","PJSIP/trunk-05","","Hangup","","2024-06-10 10:00:00",,"2024-06-10 10:00:10",10,0,"NO ANSWER","DOCUMENTATION","1718013600.3",""\#r
            "","1001","1002","from-internal","","PJSIP/1001-06","PJSIP/1002-07","Dial","PJSIP/1002","2024-06-10 11:00:00","2024-06-10 11:00:02","2024-06-10 11:01:00",60,58,"ANSWERED","DOCUMENTATION","1718017200.4",""\#r

            """#
        let (adapter, problems) = try phoneAdapter([
            ("format", scalar("asterisk-cdr")), ("country_code", scalar("34")), ("timezone", scalar("Europe/Madrid")),
        ])
        #expect(problems.isEmpty)
        let batch = try await adapter.receiveRecords(post(Array(csv.utf8)))
        let calls = batch.messages
        #expect(calls.count == 2)
        let inbound = calls[0]
        #expect(inbound.from == ChannelIdentity(channel: "phone", address: "+34600123456"))
        #expect(inbound.customerName == "García, Ana")
        #expect(inbound.text == "Call from +34600123456 to +34910000000 answered by 1001, 4m 12s")
        #expect(inbound.metadata["recording_url"] == "https://pbx.example.com/rec/1718006400.1.wav")
        #expect(inbound.attachments.first?.url == "https://pbx.example.com/rec/1718006400.1.wav")
        #expect(inbound.metadata["started_at"] == "2024-06-10T06:00:00Z")
        #expect(inbound.kind == .contact && !inbound.requestsCallback)

        let outbound = calls[1]
        #expect(outbound.kind == .activity)
        #expect(!outbound.requestsCallback)
        #expect(outbound.from.address == "+34600123456")
        #expect(outbound.text == "Unanswered call to +34600123456 from 1001 (busy)")
        #expect(outbound.metadata["agent_extension"] == "1001")
        #expect(outbound.metadata["direction"] == "outbound")

        #expect(batch.skipped.map(\.line) == [4, 5])
        #expect(batch.skipped[0].reason.contains("anonymous caller"))
        #expect(batch.skipped[1].reason == "internal call from 1001 to 1002")
        #expect(batch.skipped.allSatisfy { !$0.malformed })
    }

    @Test func rowsWithoutUniqueIDGetAStableIDAndForksStillJoin() throws {
        // 16 columns: no uniqueid logged. Two legs of one ring group share the caller's channel and start.
        let rows = """
            "","600123456","910000000","in","","SIP/trunk-0001","SIP/201-0002","Dial","SIP/201&SIP/202","2024-06-10 08:00:00",,"2024-06-10 08:00:20",20,0,"NO ANSWER","DOCUMENTATION"
            "","600123456","910000000","in","","SIP/trunk-0001","SIP/202-0003","Dial","SIP/201&SIP/202","2024-06-10 08:00:00","2024-06-10 08:00:04","2024-06-10 08:01:00",60,56,"ANSWERED","DOCUMENTATION"
            "","600123456","910000000","in","","SIP/trunk-0004","","Hangup","","2024-06-10 09:00:00",,"2024-06-10 09:00:09",9,0,"FAILED","DOCUMENTATION"
            """
        let decoder = AsteriskCDRDecoder()
        let (calls, skipped) = decoder.decode(Array(rows.utf8))
        #expect(skipped.isEmpty)
        #expect(calls.count == 2)
        #expect(calls[0].call.outcome == .answered && calls[0].call.agent == "202" && calls[0].call.legs == 2)
        #expect(calls[1].call.outcome == .failed)
        #expect(calls.allSatisfy { $0.call.callID.hasPrefix("cdr-") })
        #expect(decoder.decode(Array(rows.utf8)).calls.map(\.call.callID) == calls.map(\.call.callID))
    }

    @Test func freeSWITCHCSVThroughAColumnMapping() async throws {
        let columns = [
            "caller_name", "src", "dst", "dcontext", "start", "answer", "end", "duration", "billsec", "disposition", "uniqueid", "-", "accountcode",
            "-", "-",
        ]
        let (adapter, problems) = try phoneAdapter([("format", scalar("asterisk-cdr")), ("columns", list(columns))])
        #expect(problems.isEmpty)
        // Re-saved by a spreadsheet: no quotes, minutes only, `&` for the number, one row three times.
        let excel = try await adapter.receiveRecords(post(try Corpus.file("phone/freeswitch/cdr_csv_Master_excel_resaved.csv")))
        #expect(excel.rejected.isEmpty)
        #expect(excel.skipped.count == 8, "10 rows, 8 calls (one uuid three times)")
        #expect(excel.skipped.contains { $0.reason == "no number called by 1002 ('&')" })
        #expect(excel.skipped.contains { $0.reason == "internal call from 1002 to 1004" })

        let derived = AsteriskCDRDecoder(layout: .columns(columns.map { $0 == "-" ? nil : $0 }))
        let (calls, skipped) = derived.decode(try Corpus.file("phone/freeswitch/cdr_csv_example_template_DERIVED_from_json.csv"))
        #expect(skipped.isEmpty)
        #expect(calls.map(\.call.callID) == ["3da8bf84-c133-4959-9e24-e72875cb33a1", "5a3a1d91-90d3-4db4-af5c-cc3ae15d93a4"])
        #expect(calls.map(\.call.billsec) == [68, 21])
        #expect(calls.allSatisfy { $0.call.outcome == .answered })
    }

    @Test func signedHooksAndContentTypes() async throws {
        let (adapter, _) = try phoneAdapter(
            [("format", scalar("asterisk-cdr")), ("secret_env", scalar("CDR_SECRET"))], env: ["CDR_SECRET": "s3cret"])
        let body = try Corpus.file(Self.cdrCSV)
        let signature = "sha256=" + Signatures.hmacSHA256Hex(key: "s3cret", body)
        #expect(try await adapter.receiveRecords(post(body, headers: [("X-Switchboard-Signature", signature)])).messages.count == 6)
        await #expect(throws: InboundError.unauthorized("signature does not match the body")) {
            _ = try await adapter.receiveRecords(post(body, headers: [("X-Switchboard-Signature", "sha256=00")]))
        }
        await #expect(throws: InboundError.unauthorized("missing X-Switchboard-Signature header")) {
            _ = try await adapter.receiveRecords(post(body))
        }
        let (open, _) = try phoneAdapter([("format", scalar("asterisk-cdr"))])
        await #expect(throws: InboundError.malformed("format asterisk-cdr takes text/csv, not application/json")) {
            _ = try await open.receiveRecords(post(body, type: "application/json"))
        }
    }

    /// The attack: without a secret, anyone who reaches the hook could post a forged call record
    /// (a "missed call" from any number, in any customer's conversation). Now the hook must say
    /// who may post, and check-config names the line when it does not.
    @Test func aHookWithoutSecretOrOpenIsAConfigurationProblem() throws {
        for format in ["asterisk-cdr", "json"] {
            let (section, diagnostics) = phoneSection([("format", scalar(format)), ("country_code", scalar("34"))])
            _ = PhoneLogSettings(config: section)
            let problems = diagnostics.problems.map(\.description)
            #expect(
                problems == [
                    "switchboard.yaml:1: adapters[0]: anyone could post customer messages to this hook: set 'secret_env' (the name of an environment variable holding a shared secret), or 'open: true' if something in front of the gateway checks the senders"
                ], "\(format)")
        }
        let (both, diagnostics) = phoneSection([("format", scalar("json")), ("secret_env", scalar("S")), ("open", scalar("true"))], env: ["S": "x"])
        _ = PhoneLogSettings(config: both)
        #expect(
            diagnostics.problems.map(\.description).contains {
                $0.hasPrefix("switchboard.yaml:4: adapters[0].open: 'open: true' and 'secret_env' contradict")
            })
        // Twilio signs with the account's auth token: nothing to choose there.
        let (_, twilio) = try phoneAdapter(
            [("format", scalar("twilio-voice")), ("account_sid", scalar("AC1")), ("auth_token_env", scalar("T"))], env: ["T": "t"])
        #expect(twilio.isEmpty)
    }

    @Test func aForgedCallRecordIsRefusedWithoutTheSecret() async throws {
        let (adapter, problems) = try phoneAdapter(
            [("format", scalar("asterisk-cdr")), ("country_code", scalar("34")), ("secret_env", scalar("CDR_SECRET"))],
            env: ["CDR_SECRET": "s3cret"])
        #expect(problems.isEmpty)
        let row =
            #""","0034600999999","910000000","from-pstn","","PJSIP/trunk-01","PJSIP/1001-02","Dial","","2024-06-10 08:00:00","","2024-06-10 08:01:00",60,0,"NO ANSWER","DOCUMENTATION","forged.1",""#
        let forged = Array((row + "\n").utf8)
        for signature in [nil, "sha256=" + Signatures.hmacSHA256Hex(key: "guess", forged)] {
            let error = await #expect(throws: InboundError.self) {
                _ = try await adapter.receiveRecords(post(forged, headers: signature.map { [("X-Switchboard-Signature", $0)] } ?? []))
            }
            #expect(error?.status == 401)
        }
    }

    @Test func aWatchedFileWithoutSecretKeepsTheHookShut() async throws {
        let (section, diagnostics) = phoneSection([("format", scalar("asterisk-cdr")), ("watch", scalar("/tmp/none.csv"))])
        let context = AdapterContext(logger: Logger(label: "test"), transport: CapturingTransport(), publicURL: "")
        let built = try PhoneLogAdapterFactory().makeAdapter(id: "pbx", config: section, context: context)
        section.finish()
        let adapter = try #require(built as? WatchingPhoneLogAdapter)
        #expect(diagnostics.problems.isEmpty, "a watched file needs no hook")
        let error = await #expect(throws: InboundError.self) { _ = try await adapter.base.receiveRecords(post(Array("x\n".utf8))) }
        #expect(error?.status == 403)
    }

    @Test func aRowTheStoresCouldNotKeepIsRejectedAlone() async throws {
        let (adapter, _) = try phoneAdapter([("format", scalar("json")), ("country_code", scalar("34"))])
        let body =
            #"[{"call_id":"c1","from":"+34600111222","disposition":"NO ANSWER"},{"call_id":"c2\u0000x","from":"+34600111223","disposition":"NO ANSWER"},{"call_id":"c3","from":"+34600111224","disposition":"NO ANSWER","start":"99999999999999999999"}]"#
        let batch = try await adapter.receiveRecords(post(Array(body.utf8), type: "application/json"))
        #expect(batch.messages.map(\.externalID) == ["c1"])
        #expect(batch.rejected.map(\.item) == [1, 2])
        #expect(batch.rejected.first?.reason.contains("NUL") == true)
        #expect(batch.rejected.first?.metricCode == "nul_character")
    }
}
