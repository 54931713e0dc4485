import PhoneLogAdapter
import SwitchboardAdapterAPI

/// Call records posted by a PBX: Asterisk `Master.csv` rows (layout detected, cdr_csv, cdr_custom,
/// and custom columns; local times in a zone with DST) and JSON call events read through pointers.
/// The same body goes to each: CSV that happens to be JSON and the reverse are both worth a try.
public enum PhoneLogHarness: FuzzHarness {
    public static let target = "FuzzPhoneLog"

    static let adapters = FuzzGateway.adapters(
        """
          - id: cdr
            type: phone-log
            format: asterisk-cdr
            secret_env: FUZZ_SECRET
            country_code: "34"
            trunk_prefix: "0"
          - id: cdr-csv
            type: phone-log
            format: asterisk-cdr
            secret_env: FUZZ_SECRET
            layout: cdr_csv
            timezone: Europe/Madrid
            recording_url_prefix: https://pbx.example.com/rec/
          - id: cdr-custom
            type: phone-log
            format: asterisk-cdr
            secret_env: FUZZ_SECRET
            layout: cdr_custom
            timezone: America/New_York
          - id: cdr-columns
            type: phone-log
            format: asterisk-cdr
            secret_env: FUZZ_SECRET
            columns: [uniqueid, src, dst, caller_name, start, "-", billsec, disposition, userfield]
          - id: calls
            type: phone-log
            format: json
            secret_env: FUZZ_SECRET
            country_code: "1"
            inbound: { call_id: /uuid, from: /variables/caller_id_number, start: /variables/start_epoch }
        """, factories: PhoneLogAdapterFactories.all)

    public static func run(_ input: [UInt8]) -> [FuzzOutcome] {
        adapters.map { adapter in
            let type = adapter.id == "calls" ? "application/json" : "text/csv"
            return FuzzGateway.receive(adapter, SignedRequest.switchboard(input, path: "/hooks/\(adapter.id)", contentType: type))
        }
    }
}
