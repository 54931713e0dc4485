"""Reports for supervisors: the summary figures and the conversations CSV export."""

from __future__ import annotations

import csv
import io

from conftest import unique


def test_summary_counts_what_happened(gateway):
    gw = gateway()
    a = gw.conversation_of(gw.ingest(unique("m"), unique("a")))
    b = gw.conversation_of(gw.ingest(unique("m"), unique("b")))
    gw.conversation_of(gw.ingest(unique("m"), unique("c")))
    reply = gw.api(a["owner"], "POST", f"conversations/{a['id']}/replies", json={"body": "hello"})
    assert reply.status_code == 202
    assert gw.api(b["owner"], "POST", f"conversations/{b['id']}/resolve").status_code == 200

    r = gw.api("marta", "GET", "reports/summary?since=1h")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["started"] == 3 and s["resolved"] == 1
    assert s["conversations"] == {"open": 2, "resolved": 1}
    assert s["awaiting_answer"] == 1  # a was answered, b resolved, c waits
    assert s["first_response_median_seconds"] is not None and s["first_response_median_seconds"] >= 0
    loads = {x["agent"]: x["assigned"] for x in s["agents"]}
    assert sum(loads.values()) == 2
    assert gw.api("ana", "GET", "reports/summary").status_code == 403
    assert gw.api("marta", "GET", "reports/summary?since=yesterday-ish").status_code == 400


def test_csv_export_is_parseable_and_safe_for_spreadsheets(gateway):
    gw = gateway()
    mid = gw.ingest(unique("m"), unique("x"), name='=HYPERLINK("http://evil.example","click"), "quoted"')
    conv = gw.conversation_of(mid)
    r = gw.api("marta", "GET", "reports/conversations.csv?since=1d")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == str(conv["id"]) and row["reference"] == conv["reference"]
    assert row["customer_name"].startswith("'=HYPERLINK")  # never a live formula
    assert row["inbound_messages"] == "1" and row["status"] == "open"
    assert gw.api("ana", "GET", "reports/conversations.csv").status_code == 403
