import ExternalAdapter
import SwitchboardAdapterAPI
import Testing

/// Reading `type: external` from the configuration.
@Suite struct SettingsTests {
    func read(_ entries: [(String, ConfigNode)], environment: [String: String] = [:]) -> (ExternalSettings, [String]) {
        let node = ConfigNode(.map(entries.enumerated().map { ($0.element.0, $0.offset + 2, $0.element.1) }), line: 1)
        let diagnostics = ConfigDiagnostics(file: "t.yaml")
        let section = ConfigSection(node, path: "adapters[0]", diagnostics: diagnostics, environment: { environment[$0] })
        let settings = ExternalSettings(id: "slack", config: section, parentEnvironment: { environment[$0] })
        section.finish()
        return (settings, diagnostics.problems.map(\.description))
    }

    func scalar(_ s: String, _ line: Int = 1) -> ConfigNode { ConfigNode(.scalar(s), line: line) }
    func map(_ pairs: [(String, ConfigNode)]) -> ConfigNode { ConfigNode(.map(pairs.map { ($0.0, 1, $0.1) }), line: 1) }

    @Test func readsEverything() {
        let (s, problems) = read(
            [
                ("command", ConfigNode(.list([scalar("python3"), scalar("adapters/slack.py")]), line: 2)),
                ("env", map([("LOG_LEVEL", scalar("debug"))])),
                ("env_from", map([("SLACK_BOT_TOKEN", scalar("GW_SLACK_TOKEN"))])),
                ("config", map([("api_base", scalar("https://slack.com")), ("channels", ConfigNode(.list([scalar("C1")]), line: 1))])),
                ("deliver_timeout", scalar("5s")),
                ("identity", scalar("slack-acme")),
                ("open", scalar("true")),
            ], environment: ["GW_SLACK_TOKEN": "xoxb-1", "PATH": "/bin", "SB_TOKEN_ANA": "agent-secret"])
        #expect(problems.isEmpty)
        #expect(s.command == ["python3", "adapters/slack.py"])
        // Only the named secret and a few harmless variables reach the process.
        #expect(s.environment == ["PATH": "/bin", "LOG_LEVEL": "debug", "SLACK_BOT_TOKEN": "xoxb-1"])
        #expect(s.processConfig == .object(["api_base": .string("https://slack.com"), "channels": .array([.string("C1")])]))
        #expect(s.deliverTimeout == .seconds(5))
        #expect(s.requestTimeout == .seconds(10))
        #expect(s.identityChannel == "slack-acme")
        #expect(s.hookAccess == .open)
    }

    @Test func reportsProblemsWithTheirLines() {
        let (s, problems) = read([
            ("env_from", ConfigNode(.map([("SLACK_BOT_TOKEN", 7, scalar("NOT_SET", 7))]), line: 6)),
            ("comand", scalar("python3")),
            ("deliver_timeout", scalar("soon", 4)),
        ])
        #expect(s.identityChannel == "slack")
        #expect(
            problems == [
                "t.yaml:1: adapters[0]: missing required key 'command' (a list: the program and its arguments)",
                "t.yaml:1: adapters[0]: anyone could post customer messages to this hook: set 'secret_env' (the name of an environment variable holding a shared secret), or 'open: true' if something in front of the gateway checks the senders",
                "t.yaml:3: adapters[0]: unknown key 'comand'",
                "t.yaml:4: adapters[0].deliver_timeout: 'soon' is not a duration (use e.g. 250ms, 5s, 30m, 24h, 1h30m)",
                "t.yaml:7: adapters[0].env_from.SLACK_BOT_TOKEN: environment variable NOT_SET is not set",
            ])
    }

    @Test func aSecretMakesTheGatewayCheckHookPostsBeforeForwarding() async throws {
        let (s, problems) = read(
            [
                ("command", ConfigNode(.list([scalar("true")]), line: 2)), ("secret_env", scalar("HOOK_SECRET", 3)),
            ], environment: ["HOOK_SECRET": "k"])
        #expect(problems.isEmpty)
        #expect(s.hookAccess == .secret("k"))
        let adapter = ExternalAdapter(id: "ext", settings: s, logger: LogRecords().logger(adapter: "ext"))
        let body = Array(#"{"event":"forged"}"#.utf8)
        for signature in [nil, "sha256=" + Signatures.hmacSHA256Hex(key: "guess", body)] {
            let error = await #expect(throws: InboundError.self) {
                try await adapter.receive(
                    InboundRequest(
                        method: "POST", path: "/hooks/ext", headers: signature.map { [("X-Switchboard-Signature", $0)] } ?? [], body: body))
            }
            #expect(error?.status == 401)
        }
        // Signed, it goes on to the process (none runs here: 503, so the sender retries).
        let signed = try await adapter.receive(
            InboundRequest(
                method: "POST", path: "/hooks/ext", headers: [("X-Switchboard-Signature", "sha256=" + Signatures.hmacSHA256Hex(key: "k", body))],
                body: body))
        guard case .respond(let status, _, _) = signed else {
            Issue.record("expected an answer")
            return
        }
        #expect(status == 503)
    }
}
