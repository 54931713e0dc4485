"""Retention (issue 21), end to end on SQLite and on PostgreSQL: `retention: {messages: 730d,
attachments: 180d, only_resolved: true}` applied by the leader of real gateways. Four customers
write by e-mail with a file; the database's clock is moved back for three of them (the gateway is
stopped, their rows' `created_at` edited), and the next start's pass removes exactly what is past
its rule: the old resolved conversation loses text and file, the 200-day-old one only its file, the
old open one and the young one keep everything. The metric and the audit trail say so, and the
SQLite file no longer holds the removed sentence."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import metric, wait_until
from test_customer_record import ENV, MAIL, MAIL_SECRET, Customer, mail
from trust_support import audit, pg_gateway, postgres, psql  # noqa: F401

DAY = 86400


def config() -> dict:
    return {
        "server": {"max_body": "1m"},
        "adapters": [{"id": MAIL, "type": "email", "team": "support", "address": "support@example.com",
                      "smtp": {"url": "smtp://127.0.0.1:9"}, "secret_env": "SB_MAIL_SECRET"}],
        "routing": {"acknowledge": False},
        "retention": {"messages": "730d", "attachments": "180d", "only_resolved": True},
    }


def write(gw, c: Customer, resolve: bool) -> int:
    """The customer's mail (with its file); resolved when asked. Returns the conversation."""
    r = gw.post_hook(MAIL, raw=mail(c), secret=MAIL_SECRET, headers={"Content-Type": "message/rfc822"}, timeout=30)
    assert r.status_code == 200, r.text
    conv = gw.conversation_of(r.json()["messages"][0])
    if resolve:
        assert gw.api("marta", "POST", f"conversations/{conv['id']}/resolve").status_code in (200, 201)
    return conv["id"]


def inbound(gw, conversation: int) -> dict:
    messages = gw.get_json("marta", f"conversations/{conversation}")["messages"]
    return next(m for m in messages if m["direction"] == "inbound")


def file_kept(gw, message: dict) -> bool:
    files = message.get("attachments") or []
    if not files or not files[0].get("stored"):
        return False
    return gw.api("marta", "GET", f"messages/{message['id']}/attachments/0").status_code == 200


def scenario(gw, age):
    """`age(conversation, days)` moves the conversation's messages that many days back (gateway stopped)."""
    old, old_open, mid, young = Customer(), Customer(), Customer(), Customer()
    conversations = {
        "old": write(gw, old, resolve=True), "old_open": write(gw, old_open, resolve=False),
        "mid": write(gw, mid, resolve=True), "young": write(gw, young, resolve=True),
    }
    # The first pass at start found nothing past its rule.
    assert all(inbound(gw, c)["body"] for c in conversations.values())
    gw.stop()
    age(conversations["old"], 800)
    age(conversations["old_open"], 800)
    age(conversations["mid"], 200)
    gw.start()

    # The old, resolved conversation: text, address and file gone; the message stays as a record.
    gone = wait_until(lambda: (m := inbound(gw, conversations["old"]))["body"] == "" and m, timeout=60,
                      what="retention of the 800-day-old resolved conversation")
    assert gone["metadata"].get("redacted") == "retention"
    assert old.email not in str(gone) and not file_kept(gw, gone)
    # 200 days: the text stays, the file goes.
    m = wait_until(lambda: (x := inbound(gw, conversations["mid"])) and not file_kept(gw, x) and x, timeout=30,
                   what="retention of the 200-day-old file")
    assert mid.sentence in m["body"] and "redacted" not in (m.get("metadata") or {})
    # An open conversation keeps its whole history, however old; a young one keeps everything.
    for name, customer in (("old_open", old_open), ("young", young)):
        m = inbound(gw, conversations[name])
        assert customer.sentence in m["body"], name
        assert file_kept(gw, m), name

    # The pass records itself once it is done.
    applied = wait_until(lambda: audit(gw, action="retention_applied"), timeout=30, what="the retention_applied entry")
    text = gw.metrics()
    assert metric(text, "switchboard_retention_erased_total", kind="messages") >= 1
    assert metric(text, "switchboard_retention_erased_total", kind="attachments") >= 1
    assert applied and applied[0]["actor"] == "system" and int(applied[0]["details"]["messages"]) >= 1
    return old, old_open


def test_retention_on_sqlite(gateway):
    gw = gateway(config(), env=ENV)

    def age(conversation: int, days: int):
        db = sqlite3.connect(gw.db_path)
        try:
            # As the gateway's writer does: what this edit moves leaves no copy behind in free space.
            db.execute("PRAGMA secure_delete = ON")
            with db:
                db.execute("UPDATE messages SET created_at = created_at - ? WHERE conversation_id = ?", (days * DAY, conversation))
        finally:
            db.close()

    old, old_open = scenario(gw, age)
    gw.stop()
    data = b"".join(p.read_bytes() for p in gw.db_path.parent.glob(gw.db_path.name + "*"))
    assert old.sentence.encode() not in data, "the removed sentence is still in the SQLite file"
    assert old_open.sentence.encode() in data


def test_retention_on_postgres(pg_gateway, postgres):
    gw = pg_gateway(config(), env=ENV)

    def age(conversation: int, days: int):
        psql(postgres, gw.database,
             f"UPDATE messages SET created_at = created_at - {days * DAY} WHERE conversation_id = {conversation}")

    scenario(gw, age)
