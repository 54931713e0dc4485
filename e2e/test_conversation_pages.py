"""The conversation view in pages (issue 19, item 5): `GET /api/v1/conversations/{id}?limit=N&before=ID`
gives the newest N messages of the thread (notes and events with them, in the thread's order),
oldest first within the page, and `next_before` while older ones exist; without `limit` and `before`
the whole thread, as before. Against the real binary, responses checked against the OpenAPI document."""

from __future__ import annotations

import requests
import yaml

from conftest import unique
from test_openapi import check


def spec_of(gw):
    r = requests.get(gw.url + "/api/v1/openapi.yaml", timeout=5)
    assert r.status_code == 200
    return yaml.safe_load(r.text)


def test_pages_of_100_cover_250_messages_exactly_once_in_order(gateway):
    gw = gateway()
    customer = unique("long") + "@example.com"
    first = gw.ingest(unique("m"), customer, "message 0")
    cid = gw.conversation_of(first)["id"]
    for i in range(1, 250):
        gw.ingest(unique("m"), customer, f"message {i}")
        if i % 25 == 0:
            r = gw.api("marta", "POST", f"conversations/{cid}/notes", json={"body": f"note after {i}"})
            assert r.status_code == 201, r.text
    doc = spec_of(gw)

    whole = gw.api("marta", "GET", f"conversations/{cid}")
    check(doc, "GET", "/api/v1/conversations/{id}", whole)
    whole = whole.json()
    assert "next_before" not in whole, "without limit the whole thread, as callers before paging expect"
    inbound = [m["body"] for m in whole["messages"] if m["direction"] == "inbound"]
    assert inbound == [f"message {i}" for i in range(250)]
    assert len([m for m in whole["messages"] if m["direction"] == "note"]) == 9
    order = [m["id"] for m in whole["messages"]]

    pages, before = [], None
    while True:
        r = gw.api("marta", "GET", f"conversations/{cid}", params={"limit": 100, **({"before": before} if before else {})})
        assert r.status_code == 200, r.text
        check(doc, "GET", "/api/v1/conversations/{id}", r)
        page = r.json()
        assert len(page["messages"]) <= 100
        times = [m["created_at"] for m in page["messages"]]
        assert times == sorted(times), "oldest first within a page, as the console shows it"
        pages.append([m["id"] for m in page["messages"]])
        before = page.get("next_before")
        if before is None:
            break
        assert before == page["messages"][0]["id"]
    assert [len(p) for p in pages][:2] == [100, 100]
    assert [i for p in reversed(pages) for i in p] == order, "every message once, in the thread's order"
    # The rest of the view is the same on every page.
    assert page["customer"]["id"] == whole["customer"]["id"] and page["channels"] == whole["channels"]

    # `before` alone: the default page of 50.
    r = gw.api("marta", "GET", f"conversations/{cid}", params={"before": order[-1]})
    assert [m["id"] for m in r.json()["messages"]] == order[-51:-1]


def test_bad_page_parameters_are_refused_with_the_reason(gateway):
    gw = gateway()
    a = gw.ingest(unique("m"), unique("a") + "@example.com")
    b = gw.ingest(unique("m"), unique("b") + "@example.com")
    cid = gw.conversation_of(a)["id"]
    doc = spec_of(gw)
    for params in ({"limit": 0}, {"limit": 201}, {"limit": "ten"}, {"before": "x"}, {"before": b}, {"before": 987654321}):
        r = gw.api("marta", "GET", f"conversations/{cid}", params=params)
        assert r.status_code == 400, (params, r.status_code, r.text)
        check(doc, "GET", "/api/v1/conversations/{id}", r)
        assert r.json()["error"]["message"]
