import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `switchboard bench`: a load generator for a running gateway's `/hooks/{adapter}` endpoint.
///
/// Built on SwiftNIO with a single event loop by default, because it usually shares the machine
/// with the gateway it measures and must not steal the gateway's cores.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load generator for a running gateway.",
        discussion: """
            Posts signed webhook messages to /hooks/<adapter> over keep-alive HTTP/1.1 connections and reports \
            throughput and exact latency percentiles. Without --rate it runs closed loop (maximum throughput); \
            with --rate it sends on a fixed schedule and measures latency from the scheduled send time. \
            Exits non-zero if any request failed.
            """)

    @Option(help: "Base URL of the gateway (plain HTTP).")
    var url = "http://127.0.0.1:8080"

    @Option(help: "Adapter id: messages go to /hooks/<adapter>.")
    var adapter = "shop-chat"

    @Option(name: .customLong("secret-env"), help: "Environment variable holding the adapter's HMAC secret (signs every body).")
    var secretEnv: String?

    @Option(help: "Messages to send and measure.")
    var messages = 20000

    @Option(help: "Keep-alive HTTP/1.1 connections (one request in flight each).")
    var connections = 32

    @Option(help: "Distinct simulated customers; message i comes from customer i % customers.")
    var customers = 1000

    @Option(help: "Open loop: send this many messages per second on a fixed schedule. Default: closed loop.")
    var rate: Double?

    @Option(help: "Messages sent first and not measured.")
    var warmup = 0

    @Option(help: "Event-loop threads of the generator.")
    var threads = 1

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Option(
        help:
            "Payload format: 'webhook' (the generic JSON adapter), 'whatsapp' (WhatsApp Cloud API webhooks, signed with X-Hub-Signature-256), 'email' (raw messages from --mail-dir, posted as message/rfc822) or 'lmtp' (the same mail delivered over LMTP to --url lmtp://host:port, one pipelined transaction per mail)."
    )
    var format: BenchFormat = .webhook

    @Option(help: "With --format lmtp: the RCPT TO address (one of the adapter's addresses).")
    var recipient = "support@example.com"

    @Option(
        name: .customLong("mail-dir"),
        help:
            "With --format email: a folder of .eml files (e.g. made by shared/peers/gen_emails.py), sent in name order, cycled with fresh Message-IDs."
    )
    var mailDir: String?

    func validate() throws {
        guard messages > 0 else { throw ValidationError("--messages must be positive") }
        guard connections > 0 else { throw ValidationError("--connections must be positive") }
        guard customers > 0 else { throw ValidationError("--customers must be positive") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
        if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number") }
        if format == .email || format == .lmtp, mailDir == nil { throw ValidationError("--format \(format.rawValue) needs --mail-dir") }
        if (format == .lmtp) != ((try? BenchTarget(url: url))?.isLMTP ?? false) {
            throw ValidationError("--format lmtp goes with --url lmtp://host:port, and only it")
        }
        // Checked here rather than in run() so the error comes with this command's usage line.
        _ = try BenchTarget(url: url)
        _ = try readSecret()
    }

    func run() async throws {
        let secret = try readSecret()
        let target = try BenchTarget(url: url)

        // Bodies and signatures are built before any timing starts.
        let runID = BenchWorkload.makeRunID()
        let mails = try mailDir.map(BenchMail.load(folder:)) ?? []
        let requests =
            format == .lmtp
            ? BenchWorkload.lmtpRequests(mails: mails, runID: runID, count: warmup + messages, recipient: recipient)
            : BenchWorkload.build(
                format: format,
                target: target, adapter: adapter, secret: secret, runID: runID, count: warmup + messages, customers: customers, mails: mails)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let summary: BenchSummary
        do {
            summary = try await measure(requests: requests, target: target, runID: runID, group: group)
        } catch {
            try? await group.shutdownGracefully()
            printError("bench: cannot connect to \(target.host):\(target.port): \(error)")
            throw ExitCode(2)
        }
        try await group.shutdownGracefully()

        print(json ? try summary.json() : summary.text())
        if !summary.succeeded { throw ExitCode(1) }
    }

    /// The secret named by `--secret-env`; naming an unset variable is an error, not "unsigned".
    private func readSecret() throws -> String? {
        guard let secretEnv else { return nil }
        guard let value = ProcessInfo.processInfo.environment[secretEnv], !value.isEmpty else {
            throw ValidationError("--secret-env \(secretEnv): the environment variable is not set")
        }
        return value
    }

    /// Connects, runs the warm-up and the measured phase, and summarizes the measured one.
    /// Throws only if the initial connections cannot be opened.
    private func measure(
        requests: [BenchRequest], target: BenchTarget, runID: String, group: MultiThreadedEventLoopGroup
    ) async throws -> BenchSummary {
        var client = try await BenchClient.connect(group: group, target: target, count: connections)
        var warmupTally = BenchTally()
        if warmup > 0 {
            warmupTally = await client.run(
                BenchPhase(
                    requests: requests, range: 0..<warmup, rate: rate, recordLatencies: false))
        }
        let phase = BenchPhase(requests: requests, range: warmup..<(warmup + messages), rate: rate, recordLatencies: true)
        let tally = await client.run(phase)
        let elapsed = Double((NIODeadline.now() - phase.start).nanoseconds) / 1e9
        await client.close()

        var errorsByStatus: [String: Int] = [:]
        for (status, count) in tally.statuses where !(200..<300).contains(status) {
            errorsByStatus[String(status)] = count
        }
        let ok = tally.ok
        return BenchSummary(
            runID: runID, url: url, adapter: adapter, mode: rate == nil ? "closed" : "open", rate: rate,
            connections: connections, threads: threads, customers: customers,
            warmup: warmup, warmupFailed: warmupTally.failed + (warmup - warmupTally.sent),
            messages: messages, sent: tally.sent, ok: ok, unsent: messages - tally.sent,
            errorsByStatus: errorsByStatus, transportErrors: tally.transportErrors,
            elapsedSeconds: elapsed, throughput: elapsed > 0 ? Double(ok) / elapsed : 0,
            latencyMs: BenchLatency(tally.latenciesMs))
    }
}
