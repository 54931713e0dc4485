"""Search (`GET /api/v1/search`) against the real binary: who finds what, accents, filters, paging,
references, snippets as data; and over a month of history made by `switchboard generate-history`."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time

from conftest import BIN, unique


def search(gw, agent, **params):
    r = gw.api(agent, "GET", "search", params=params)
    assert r.status_code == 200, f"search {params} as {agent}: {r.status_code} {r.text}"
    return r.json()


def text(result):
    return "".join(p["text"] for p in result["snippet"])


def marked(result):
    return [p["text"] for p in result["snippet"] if p.get("match")]


def test_agents_find_only_what_they_may_read_and_accents_do_not_matter(gateway):
    gw = gateway()
    word = unique("zq").replace("-", "")
    mine = gw.conversation_of(gw.ingest(unique("m"), unique("c"), f"El camión con {word} no llegó a Cádiz", name="Olga Núñez"))
    other = gw.conversation_of(gw.ingest(unique("m"), unique("c"), f"Where is the truck with {word}?"))
    owner = mine["owner"]
    stranger = "luis" if owner == "ana" else "ana"
    if other["owner"] == owner:  # both went to the same agent: hand one over so each has one
        assert gw.api("marta", "POST", f"conversations/{other['id']}/assign", json={"agent": stranger, "owner": True}).status_code == 201

    everything = search(gw, "marta", q=word)["results"]
    assert {r["conversation"] for r in everything} == {mine["id"], other["id"]}
    assert {r["conversation"] for r in search(gw, owner, q=word)["results"]} == {mine["id"]}
    assert {r["conversation"] for r in search(gw, stranger, q=word)["results"]} == {other["id"]}

    for q in ("camion", "CAMIÓN", "cádiz camion", f"Camion {word}"):
        results = search(gw, owner, q=q)["results"]
        hit = next(r for r in results if r["matched"] == "message")
        assert hit["conversation"] == mine["id"] and hit["message"] == mine["messages"][0]["id"], q
        assert hit["direction"] == "inbound" and hit["adapter"] == "shop-chat"
        assert "camión" in marked(hit) or "Cádiz" in marked(hit), hit
    # The customer is found by name, accents or not, and the card shows where the match is.
    card = search(gw, owner, q="nunez")["results"][0]
    assert card["matched"] == "customer" and card["conversation"] == mine["id"] and "message" not in card
    assert card["customer"]["name"] == "Olga Núñez" and marked(card) == ["Núñez"]
    assert search(gw, stranger, q="nunez")["results"] == []


def test_snippets_are_text_parts_never_markup(gateway):
    gw = gateway()
    body = "<img src=x onerror=alert(1)> your <b>refund</b> is ready " + "and more words " * 30
    gw.conversation_of(gw.ingest(unique("m"), unique("c"), body))
    hit = search(gw, "marta", q="refund")["results"][0]
    assert marked(hit) == ["refund"]
    assert "<img src=x onerror=alert(1)>" in text(hit), "markup arrives as the characters the customer typed"
    assert all(set(p) <= {"text", "match"} for p in hit["snippet"])
    assert text(hit).endswith("…")


def test_filters_and_paging(gateway):
    gw = gateway()
    word = unique("pg").replace("-", "")
    a = gw.conversation_of(gw.ingest(unique("m"), unique("a"), f"{word} one"))
    b = gw.conversation_of(gw.ingest(unique("m"), unique("b"), f"{word} two"))
    for i in range(3):
        gw.ingest(unique("m"), a["customer"]["identities"][0]["address"], f"{word} again {i}")
    assert gw.api("marta", "POST", f"conversations/{b['id']}/resolve").status_code == 200
    assert gw.api("marta", "POST", f"conversations/{b['id']}/tags", json={"tags": ["Urgent"]}).status_code == 200

    assert {r["conversation"] for r in search(gw, "marta", q=word, status="resolved")["results"]} == {b["id"]}
    assert {r["conversation"] for r in search(gw, "marta", q=word, status="open")["results"]} == {a["id"]}
    assert {r["conversation"] for r in search(gw, "marta", q=word, tag="urgent")["results"]} == {b["id"]}
    assert search(gw, "marta", q=word, adapter="elsewhere")["results"] == []
    assert len(search(gw, "marta", q=word, since="1h")["results"]) == 5
    assert search(gw, "marta", q=word, until="2000-01-01")["results"] == []

    # Pages of two, newest first, each message once.
    seen, cursor = [], None
    while True:
        params = {"q": word, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = search(gw, "marta", **params)
        assert len(page["results"]) <= 2
        seen += [r["message"] for r in page["results"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert len(seen) == 5 and len(set(seen)) == 5 and seen == sorted(seen, reverse=True)

    # By relevance: the same five, the repeated word first.
    ranked = search(gw, "marta", q=f"{word} again", order="relevance")["results"]
    assert len(ranked) == 3 and all("again" in text(r) for r in ranked)

    for params, why in [({}, "q"), ({"q": "x", "limit": 0}, "limit"), ({"q": "x", "cursor": "nonsense"}, "cursor"),
                        ({"q": "x", "status": "merged"}, "status"), ({"q": "x", "since": "yesterday"}, "since"),
                        ({"q": "x", "order": "oldest"}, "order"), ({"q": "?!"}, "q")]:
        r = gw.api("marta", "GET", "search", params=params)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", (params, r.text)
        assert why in r.json()["error"]["message"]
    assert gw.api(None, "GET", "search", params={"q": "x"}).status_code == 401


def test_a_reference_finds_its_conversation(gateway):
    gw = gateway()
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("c"), "hello", name="Rita Reference"))
    ref = conv["reference"]
    first = search(gw, "marta", q=ref.lower())["results"][0]
    assert first["matched"] == "reference" and first["conversation"] == conv["id"] and first["reference"] == ref
    assert first["customer"]["name"] == "Rita Reference"
    wrong = ref[:-1] + ("A" if ref[-1] != "A" else "B")
    assert all(r["matched"] != "reference" for r in search(gw, "marta", q=wrong)["results"])
    stranger = "luis" if conv["owner"] == "ana" else "ana"
    assert search(gw, stranger, q=ref)["results"] == []


def test_a_word_from_last_month_in_generated_history(gateway):
    gw = gateway()
    gw.stop()
    started = time.monotonic()
    out = subprocess.run(
        [BIN, "generate-history", "--config", str(gw.config_path), "--messages", "4000", "--days", "90",
         "--adapters", "shop-chat:chat,mail:email"],
        env=gw.env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "4000 messages" in out.stdout and time.monotonic() - started < 60
    gw.start()
    now = time.time()
    with sqlite3.connect(gw.db_path) as db:
        row = db.execute(
            "SELECT m.id, m.conversation_id, m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE m.direction = 'inbound' AND c.owner = 'ana' AND m.created_at BETWEEN ? AND ? AND m.body LIKE '%A-%' "
            "ORDER BY m.id LIMIT 1", (now - 45 * 86400, now - 20 * 86400)).fetchone()
        indexed = db.execute("SELECT count(*) FROM search_messages").fetchone()[0]
    assert row, "the generator wrote last month's messages of Ana's customers"
    assert indexed > 3000, "generated messages are indexed by the same triggers as ingested ones"
    message_id, conversation_id, body = row
    order = re.search(r"A-\d{6}", body).group(0)
    found = search(gw, "ana", q=order, since="60d", until="15d")["results"]
    assert any(r["message"] == message_id and r["conversation"] == conversation_id for r in found), found
    assert all(r["message"] != message_id for r in search(gw, "luis", q=order)["results"])
    assert all(r["message"] != message_id for r in search(gw, "ana", q=order, since="10d")["results"])
    # And the gateway goes on indexing what arrives now.
    word = unique("fresh").replace("-", "")
    gw.ingest(unique("m"), unique("c"), f"new {word}")
    assert len(search(gw, "marta", q=word)["results"]) == 1
