"""Search, saved replies and mentions on PostgreSQL, across two gateways: a message stored through
gateway B is found at once through gateway A (its words and its new customer's card written by the
flush the 2xx waits for, migration 028; `tsvector` folded so
`camion` finds `camión`, stemmed as Spanish), only by those who may read it; a saved reply filled in
on A; a mention written on A lets the colleague read the conversation on B and reaches his stream
there (the grant travels through the relay). Skipped without PostgreSQL, like e2e/test_cluster.py,
whose fixtures it uses."""

from __future__ import annotations

from conftest import unique
from test_cluster import cluster, database, postgres  # noqa: F401  (fixtures)
from test_events import EventStream


def found(gw, agent, **params):
    r = gw.api(agent, "GET", "search", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_search_saved_replies_and_mentions_on_postgres(cluster):
    a, b = cluster(2)
    word = unique("zq").replace("-", "")
    conv = b.conversation_of(b.ingest(unique("m"), unique("c"), f"Los camiones con {word} no llegaron a Cádiz", name="Olga Núñez"))
    cid, owner = conv["id"], conv["owner"]
    stranger = "luis" if owner == "ana" else "ana"

    # Found on the other gateway at once, with or without accents, stemmed, by whoever may read it.
    for q in ("camion", "CAMIÓN", f"cadiz {word}", "llegó"):
        results = found(a, owner, q=q)["results"]
        hit = next((r for r in results if r.get("message") == conv["messages"][0]["id"]), None)
        assert hit and hit["conversation"] == cid, (q, results)
        assert any(p.get("match") for p in hit["snippet"]), hit
    card = found(a, owner, q="nunez")["results"]
    assert card and card[0]["matched"] == "customer" and card[0]["conversation"] == cid
    assert found(a, stranger, q=word)["results"] == []
    assert [r["conversation"] for r in found(a, "marta", q=word)["results"]] == [cid]
    assert found(a, "marta", q=word, status="resolved")["results"] == []
    # Paging through the PostgreSQL index, newest first.
    for i in range(3):
        b.ingest(unique("m"), conv["customer"]["identities"][0]["address"], f"{word} otra vez {i}")
    seen, cursor = [], None
    while True:
        page = found(a, "marta", q=word, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [r["message"] for r in page["results"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert len(seen) == 4 and seen == sorted(seen, reverse=True)

    # A saved reply made on B, filled in on A.
    saved = b.api("marta", "POST", "canned-responses", json={
        "shortcut": "hola", "title": "Hola", "scope": "everyone", "body": "Hola {customer.first_name} ({reference}), {context.none.x}"})
    assert saved.status_code == 201, saved.text
    rendered = a.api(owner, "POST", f"canned-responses/{saved.json()['id']}/render", json={"conversation": cid}).json()
    assert rendered == {"text": f"Hola Olga ({conv['reference']}), ⟦context.none.x⟧", "missing": ["context.none.x"]}

    # A mention on A: the colleague reads the conversation on B and gets its events there.
    stream = EventStream(b, stranger)
    try:
        assert b.api(stranger, "GET", f"conversations/{cid}").status_code == 403
        note = a.api(owner, "POST", f"conversations/{cid}/notes", json={"body": f"@{stranger} ¿conoces a este transportista?"})
        assert note.status_code == 201, note.text
        stream.wait_for(lambda e: e.get("event") == "mention.created" and e["json"]["conversation_id"] == cid, "mention.created on B")
        assert b.api(stranger, "GET", f"conversations/{cid}").status_code == 200
        assert [m["message"] for m in b.get_json(stranger, "mentions")["mentions"]] == [note.json()["id"]]
        assert [r["conversation"] for r in found(b, stranger, q=word)["results"]][:1] == [cid]
        b.ingest(unique("m"), conv["customer"]["identities"][0]["address"], "¿alguna novedad?")
        stream.wait_for(lambda e: e.get("event") == "message.created" and e["json"].get("conversation_id") == cid
                        and e["json"].get("direction") == "inbound", "the customer's message on B for the mentioned agent")
    finally:
        stream.close()
