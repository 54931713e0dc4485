import ArgumentParser
import Foundation
import PhoneLogAdapter
import SwitchboardAdapterAPI
import SwitchboardConfig
import SwitchboardTransport

/// `switchboard import-cdr`: loads a PBX's `Master.csv` into a `phone-log` adapter through its hook,
/// in batches, so a year of call history or a live tail arrives the same way as the PBX's own
/// posts. Re-running it adds nothing: the gateway stores each call id once.
struct ImportCDR: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-cdr",
        abstract: "Load an Asterisk CDR file (Master.csv) into a phone-log adapter; --follow keeps tailing it.",
        discussion: """
            Rows are posted as text/csv to URL/hooks/ADAPTER in batches; the rows of one call (a ring \
            group's legs) always travel together. Progress, and every row the gateway left out with \
            its line in FILE, go to stderr. A batch is retried with backoff while the gateway is \
            unreachable or answers 503. Exit status: 0 done, 65 some rows were rejected as malformed \
            (listed), 1 the gateway refused a batch, 75 the gateway stayed unreachable.
            """)

    @Option(name: .long, help: "The phone-log adapter's id: rows are posted to URL/hooks/ID.")
    var adapter: String

    @Argument(help: "The CDR file (cdr_csv or cdr_custom Master.csv).")
    var file: String

    @Option(name: .long, help: "The gateway's base URL (default: server.host and server.port of the configuration).")
    var url: String?

    @Option(name: .long, help: "Configuration file: the gateway's address and the adapter's layout and secret.")
    var config = "Config/switchboard.yaml"

    @Option(name: .long, help: "Rows per request.")
    var batch = 500

    @Flag(name: .long, help: "Keep reading rows appended to the file, like tail -f (stop with Ctrl-C).")
    var follow = false

    func validate() throws {
        guard (1...100_000).contains(batch) else { throw ValidationError("--batch must be between 1 and 100000") }
        if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--url must start with http:// or https://")
        }
    }

    func run() async throws {
        let target = try resolveTarget()
        let transport = CurlTransport()
        defer { transport.shutdown() }
        var importer = CDRImporter(
            file: file, hook: target.base + "/hooks/" + adapter, decoder: target.decoder, secret: target.secret,
            batchRows: batch, transport: transport)
        let code = try await importer.run(follow: follow)
        if code != 0 { throw ExitCode(code) }
    }

    private struct Target {
        var base: String
        var decoder: AsteriskCDRDecoder
        var secret: HMACKey?
    }

    /// The gateway's address and how the adapter reads rows, from the configuration when there is
    /// one; with `--url` and no readable configuration, rows are split by the default layouts.
    private func resolveTarget() throws -> Target {
        let loaded: GatewayConfig
        do {
            loaded = try ConfigLoader.load(path: config)
        } catch {
            guard let url else {
                for problem in error.problems { printError(problem.description) }
                printError("import-cdr: give --url, or a configuration it can read")
                throw ExitCode(1)
            }
            if FileManager.default.fileExists(atPath: config) {
                printError("import-cdr: not using \(config) (\(error.problems.first?.description ?? "unreadable")); default layouts, no signature")
            }
            return Target(base: Self.trimmed(url), decoder: AsteriskCDRDecoder())
        }
        guard let spec = loaded.adapters.first(where: { $0.id == adapter }) else {
            printError("\(config): no adapter '\(adapter)' (have: \(loaded.adapters.map(\.id).joined(separator: ", ")))")
            throw ExitCode(1)
        }
        guard spec.type == "phone-log" else {
            printError("\(config):\(spec.line): adapter '\(adapter)' is of type \(spec.type), not phone-log")
            throw ExitCode(1)
        }
        let settings = PhoneLogSettings(config: spec.section)
        guard settings.format == .asteriskCDR else {
            printError("\(config):\(spec.line): adapter '\(adapter)' reads \(settings.format.rawValue), not asterisk-cdr files")
            throw ExitCode(1)
        }
        let host = ["0.0.0.0", "::", ""].contains(loaded.server.host) ? "127.0.0.1" : loaded.server.host
        let base = url ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(loaded.server.port)"
        return Target(base: Self.trimmed(base), decoder: settings.cdr, secret: settings.secret)
    }

    private static func trimmed(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}

/// The work of `import-cdr`: reads the file in complete lines, cuts it into batches that never
/// split a call's rows, posts them, and turns the gateway's per-batch line numbers back into the
/// file's.
struct CDRImporter {
    let file: String
    let hook: String
    let decoder: AsteriskCDRDecoder
    let secret: HMACKey?
    let batchRows: Int
    let transport: any HTTPTransport

    private var nextLine = 1
    /// A header row (`src,dst,…`) names the columns of every row below it, so each batch repeats it.
    private var header: [UInt8]?
    private var totals = Totals()

    struct Totals {
        var rows = 0, stored = 0, duplicates = 0, skipped = 0, rejected = 0
    }

    init(file: String, hook: String, decoder: AsteriskCDRDecoder, secret: HMACKey?, batchRows: Int, transport: any HTTPTransport) {
        self.file = file
        self.hook = hook
        self.decoder = decoder
        self.secret = secret
        self.batchRows = batchRows
        self.transport = transport
    }

    /// Returns the exit status: 0, 65 (rows rejected), 1 (refused), 75 (unreachable).
    mutating func run(follow: Bool) async throws -> Int32 {
        // The same reader as the adapter's `watch:` (truncation, rotation, a line still being written).
        var follower = CDRFileFollower(path: file, decoder: decoder)
        repeat {
            do {
                while let chunk = try follower.read(untilEnd: !follow) {
                    if chunk.startedOver { printError("import-cdr: \(file) was truncated or rotated; reading it from the start") }
                    let code = try await send(chunk)
                    if code != 0, code != 65 { return code }
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                printError("import-cdr: cannot read \(file): \((error as NSError).localizedDescription)")
                return 1
            }
            if follow { try await Task.sleep(for: .seconds(1)) }
        } while follow
        printError(
            "import-cdr: done: \(totals.rows) rows, \(totals.stored) stored, \(totals.duplicates) already there, "
                + "\(totals.skipped) not customer calls, \(totals.rejected) rejected")
        return totals.rejected > 0 ? 65 : 0
    }

    /// Posts the rows of `chunk` in batches.
    private mutating func send(_ piece: CDRFileFollower.Chunk) async throws -> Int32 {
        let chunk = piece.rows
        let offset = piece.offset
        let fileSize = piece.fileSize
        nextLine = piece.firstLine
        header = piece.header
        var lineStarts = [0]
        for (i, byte) in chunk.enumerated() where byte == UInt8(ascii: "\n") { lineStarts.append(i + 1) }
        let records = CSVReader(chunk, multilineFields: false).records()
        var index = 0
        var result: Int32 = 0
        while index < records.count {
            var last = min(index + batchRows, records.count) - 1
            // A call's rows travel together, or the later rows would arrive as duplicates of the call.
            let decoder = self.decoder
            if let key = (index...last).reversed().lazy.compactMap({ decoder.callKey(of: records[$0]) }).first {
                while last + 1 < records.count, decoder.callKey(of: records[last + 1]) == key { last += 1 }
            }
            let firstLine = records[index].line
            let lastLine = records[last].lastLine
            let from = lineStarts[firstLine - 1]
            let to = lastLine < lineStarts.count ? lineStarts[lastLine] : chunk.count
            let body = (header ?? []) + chunk[from..<to]
            let rows = last - index + 1
            switch await post(body) {
            case .answered(let answer):
                totals.rows += rows
                totals.stored += answer.stored
                totals.duplicates += answer.duplicates
                for record in answer.skipped {
                    // Lines in the answer count from the batch's first line (the repeated header first).
                    let fileLine = record.line.map { nextLine + firstLine - 1 + $0 - 1 - (header == nil ? 0 : 1) }
                    if record.malformed {
                        totals.rejected += 1
                        result = 65
                        printError("\(file):\(fileLine.map(String.init) ?? "?"): rejected: \(record.reason)")
                    } else {
                        totals.skipped += 1
                    }
                }
                let percent = fileSize > 0 ? (offset + to) * 100 / fileSize : 100
                printError(
                    "import-cdr: \(totals.rows) rows (\(percent)%): \(totals.stored) stored, \(totals.duplicates) already there, "
                        + "\(totals.skipped) not customer calls, \(totals.rejected) rejected")
            case .refused(let status, let reason):
                printError(
                    "import-cdr: the gateway refused lines \(nextLine + firstLine - 1)–\(nextLine + lastLine - 1) of \(file) (HTTP \(status)): \(reason)"
                )
                return 1
            case .unreachable(let reason):
                printError("import-cdr: giving up: \(reason)")
                return 75
            }
            index = last + 1
        }
        return result
    }

    enum Outcome {
        case answered(Answer)
        case refused(Int, String)
        case unreachable(String)
    }

    struct Answer {
        var stored = 0, duplicates = 0
        var skipped: [SkippedRecord] = []
    }

    /// One batch, retried with backoff while the gateway is down or busy.
    private func post(_ body: [UInt8]) async -> Outcome {
        var headers: [(name: String, value: String)] = [("Content-Type", "text/csv")]
        if let secret { headers.append((PhoneLogAdapter.signatureHeader, "sha256=" + secret.sha256Hex(body))) }
        var wait = Duration.seconds(1)
        var lastProblem = ""
        for attempt in 1...10 {
            do {
                let response = try await transport.send(HTTPRequest(method: "POST", url: hook, headers: headers, body: body, timeout: .seconds(120)))
                switch response.status {
                case 200..<300:
                    return .answered(Self.answer(response.body))
                case 408, 429, 502, 503, 504:
                    lastProblem = "\(hook) answered HTTP \(response.status)"
                    if let seconds = response.header("Retry-After").flatMap({ Int($0.trimmed) }) { wait = .seconds(min(seconds, 300)) }
                default:
                    let reason = (try? JSONValue.parse(response.body))?[pointer: "/error/message"]?.text ?? String(response.bodyText.prefix(300))
                    return .refused(response.status, reason)
                }
            } catch is CancellationError {
                return .unreachable("cancelled")
            } catch {
                lastProblem = "\(hook) is unreachable: \(error)"
            }
            if attempt < 10 {
                printError("import-cdr: \(lastProblem); retrying in \(wait)")
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(60))
            }
        }
        return .unreachable(lastProblem)
    }

    /// `{"stored": n, "duplicates": m, "rejected": [{"line", "reason"}], "skipped": [{"line", "reason"}]}`;
    /// a gateway that does not list rows yet answers only the counts.
    static func answer(_ body: [UInt8]) -> Answer {
        guard let json = try? JSONValue.parse(body) else { return Answer() }
        var answer = Answer(stored: Int(json["stored"]?.int64Value ?? 0), duplicates: Int(json["duplicates"]?.int64Value ?? 0))
        for (key, malformed) in [("rejected", true), ("skipped", false)] {
            for item in json[key]?.arrayValue ?? [] {
                answer.skipped.append(
                    SkippedRecord(
                        line: item["line"]?.int64Value.map { Int($0) }, item: item["item"]?.int64Value.map { Int($0) },
                        reason: item["reason"]?.text ?? "", malformed: malformed))
            }
        }
        return answer
    }
}
