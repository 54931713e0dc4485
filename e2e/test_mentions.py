"""Mentions against the real binary: `@luis` in an internal note tells Luis on his event stream and in
`GET /api/v1/mentions`, lets him read that conversation (only that one, and answer in a note), and the
thread records it; across a restart the grant holds."""

from __future__ import annotations

import json
import threading

import requests

from conftest import unique, wait_until


class Stream:
    """One agent's live event stream, read in the background."""

    def __init__(self, gw, agent):
        self.events: list[tuple[str, dict]] = []
        self.response = requests.get(gw.url + "/api/v1/events", headers={"Authorization": f"Bearer {gw.tokens[agent]}"},
                                     stream=True, timeout=30)
        assert self.response.status_code == 200
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        kind = None
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind:
                    self.events.append((kind, json.loads(line[5:])))
        except Exception:  # noqa: BLE001 (closed at the end of the test)
            pass

    def of(self, kind):
        return [data for k, data in self.events if k == kind]

    def close(self):
        self.response.close()


def test_a_mention_tells_and_lets_read_that_conversation_only(gateway):
    gw = gateway()
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("c"), "my parcel never came", name="Nora Vidal"))
    other = gw.conversation_of(gw.ingest(unique("m"), unique("c"), "another matter", name="Pau"))
    cid, owner = conv["id"], conv["owner"]
    colleague = "luis" if owner == "ana" else "ana"
    if other["owner"] == colleague:  # keep the other conversation away from the colleague
        assert gw.api("marta", "POST", f"conversations/{other['id']}/assign", json={"agent": owner, "owner": True}).status_code == 201
    assert gw.api(colleague, "GET", f"conversations/{cid}").status_code == 403

    stream = Stream(gw, colleague)
    try:
        wait_until(lambda: gw.get_json("marta", "me"), what="the stream is open")  # a request's worth of time
        r = gw.api(owner, "POST", f"conversations/{cid}/notes", json={"body": f"@{colleague} do you know this courier? (cc ana@example.com)"})
        assert r.status_code == 201, r.text
        note = r.json()
        mention = wait_until(lambda: stream.of("mention.created"), what="mention.created on the colleague's stream")[0]
        assert mention["agent"] == colleague and mention["author"] == owner and mention["conversation_id"] == cid
        assert mention["message"] == note["id"] and mention["customer"]["name"] == "Nora Vidal" and mention["reference"] == conv["reference"]

        listed = gw.get_json(colleague, "mentions")["mentions"]
        assert [m["message"] for m in listed] == [note["id"]] and listed[0]["note"].startswith(f"@{colleague} do you know")
        assert gw.get_json(owner, "mentions")["mentions"] == []

        # He reads it: the thread (with the mention recorded), the customer, search; he answers in a note.
        detail = gw.get_json(colleague, f"conversations/{cid}")
        assert any(m["direction"] == "event" and f"{owner} mentioned" in m["body"] and f"{colleague} may now read" in m["body"]
                   for m in detail["messages"])
        assert gw.api(colleague, "GET", f"customers/{conv['customer']['id']}").status_code == 200
        assert any(r["conversation"] == cid for r in gw.get_json(colleague, "search?q=courier")["results"])
        answer = gw.api(colleague, "POST", f"conversations/{cid}/notes", json={"body": f"@{owner} it is SEUR, call them"})
        assert answer.status_code == 201
        assert gw.get_json(owner, "mentions")["mentions"][0]["message"] == answer.json()["id"]
        # The conversation's live events now reach him.
        reply = gw.api(owner, "POST", f"conversations/{cid}/replies", json={"body": "We are calling the courier"})
        assert reply.status_code == 202
        wait_until(lambda: any(m.get("id") == reply.json()["id"] for m in stream.of("message.created")), what="the reply on his stream")

        # Only that conversation, and only reading and notes.
        assert gw.api(colleague, "GET", f"conversations/{other['id']}").status_code == 403
        for method, path, body in [("POST", f"conversations/{cid}/replies", {"body": "hi"}),
                                   ("POST", f"conversations/{cid}/resolve", None),
                                   ("POST", f"conversations/{cid}/tags", {"tags": ["x"]}),
                                   ("POST", f"conversations/{cid}/escalations", {"reason": "r"})]:
            r = gw.api(colleague, method, path, json=body)
            assert r.status_code == 403, (path, r.status_code, r.text)
        assert cid not in [c["id"] for c in gw.get_json(colleague, "conversations?status=all")["conversations"]]
    finally:
        stream.close()

    # The grant is stored: after a restart he still reads it and gets its events.
    gw.restart()
    assert gw.api(colleague, "GET", f"conversations/{cid}").status_code == 200
    stream = Stream(gw, colleague)
    try:
        wait_until(lambda: gw.get_json("marta", "me"), what="the stream is open")
        gw.ingest(unique("m"), conv["customer"]["identities"][0]["address"], "any news?")
        wait_until(lambda: any(m.get("conversation_id") == cid and m.get("direction") == "inbound" for m in stream.of("message.created")),
                   what="the customer's message on his stream after the restart")
    finally:
        stream.close()

    assert gw.api(colleague, "GET", "mentions?limit=0").status_code == 400
    page = gw.get_json(colleague, "mentions?limit=1")
    assert len(page["mentions"]) == 1 and "next_before" in page
