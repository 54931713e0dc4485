import Foundation

/// A tiny adapter process for the tests, in Python (standard library only): it answers the
/// protocol in ways the test steers through the text of replies and the `config` it is started with.
enum FakeAdapterProcess {
    static let script = #"""
        import base64, json, os, sys

        def out(message):
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

        for line in sys.stdin:
            m = json.loads(line)
            kind = m["type"]
            if kind == "start":
                config = m["config"]
                sys.stderr.write("started " + m["adapter"] + " protocol " + str(m.get("protocol")) + "\n")
                sys.stderr.flush()
                out({"type": "hello", "capabilities": {"reply_window": "24h", "max_text": 500, "rate_per_second": 5}})
                out({"type": "log", "level": "warning", "message": "greeting " + config.get("greeting", "")})
                out({"type": "future-message", "whatever": 1})
                sys.stdout.write("this is not json\n")
                for i in range(int(config.get("burst", "0"))):
                    out({"type": "inbound", "id": "m%d" % i, "from": "alice", "name": "Alice", "text": "message %d" % i,
                         "sent_at": "2024-06-24T06:11:46Z", "thread": "chat-1",
                         "attachments": [{"kind": "image", "mime_type": "image/png", "url": "https://x.test/i.png"}]})
                if int(config.get("burst", "0")) > 0:
                    out({"type": "inbound", "id": "m0", "from": "alice", "text": "message 0 again"})
                    out({"type": "status", "external_id": "x-1", "state": "read"})
            elif kind == "ack":
                with open(os.environ["ACK_FILE"], "a") as f:
                    f.write(m["id"] + "\n")
            elif kind == "deliver":
                text = m["text"]
                if text == "hang":
                    continue
                if text == "crash":
                    os._exit(3)
                if text == "reject":
                    out({"type": "failed", "id": m["id"], "permanent": True, "reason": "no such user"})
                elif text == "later":
                    out({"type": "failed", "id": m["id"], "permanent": False, "reason": "rate limited", "retry_after": 7})
                else:
                    out({"type": "delivered", "id": m["id"], "external_id": "x-%d" % m["id"], "echo": [m["to"], m["thread"], m["in_reply_to"]]})
            elif kind == "request":
                body = base64.b64decode(m["body_base64"])
                if m["headers"].get("x-sig") != "ok":
                    out({"type": "response", "id": m["id"], "status": 401, "body": "bad signature"})
                elif m["method"] == "GET":
                    out({"type": "response", "id": m["id"], "content_type": "text/plain", "body": m["query"].get("challenge", "")})
                elif body == b"slow":
                    continue
                else:
                    j = json.loads(body)
                    out({"type": "response", "id": m["id"], "status": 200,
                         "inbound": [{"id": j["id"], "from": j["from"], "text": j["text"]},
                                     {"type": "status", "external_id": "x-9", "state": "delivered"}]})
        """#

    /// Writes the script to a fresh directory; returns it with a file the script appends acks to.
    static func install() throws -> (script: String, ackFile: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ext-adapter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("fake_adapter.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        return (script.path, directory.appendingPathComponent("acks.txt").path)
    }
}
