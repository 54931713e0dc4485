"""IMAP that never skips or repeats (issue 17, part 3), against a real Dovecot.

The gateway reads a mailbox by UID from the position its store keeps (UIDVALIDITY and the last
UID stored), whatever the flags: mail that arrived while it was stopped is all stored once, mail a
human read first is still stored, a renumbered mailbox (new UIDVALIDITY) is read again without
duplicates, IDLE brings new mail in within about a second, and a broken mailbox does not hold up
another. Each mailbox's health and lag are in /readyz and /metrics.
"""
from __future__ import annotations

import shutil
import sqlite3
import time

from conftest import metric, wait_until
from test_email import MAIL, SLOW, compose, email_adapter, mail_env, mail_gateway, wait_inbound


def inbound_rows(gw) -> tuple[int, int]:
    """(inbound messages, distinct external ids) in the gateway's database."""
    with sqlite3.connect(f"file:{gw.db_path}?mode=ro", uri=True, timeout=10) as db:
        return db.execute(
            "SELECT count(*), count(DISTINCT external_id) FROM messages WHERE direction = 'inbound'").fetchone()


def mailbox(gw, adapter: str = MAIL, name: str = "INBOX") -> dict | None:
    ready = gw.session.get(f"{gw.url}/readyz", timeout=10).json()
    for entry in ready.get("mailboxes", {}).get(adapter, []):
        if entry["mailbox"].endswith("/" + name):
            return entry
    return None


def caught_up(gw, last_uid: int | None = None, name: str = "INBOX") -> dict:
    def check():
        entry = mailbox(gw, name=name)
        if entry and entry["status"] == "running" and entry.get("lag_seconds") is not None and entry["pending"] == 0 \
                and (last_uid is None or entry.get("last_uid") == last_uid):
            return entry
        return None
    return wait_until(check, SLOW, interval=0.3, what=f"mailbox {name} read to its end")


def mails(count: int, tag: str) -> list[tuple[bytes, str]]:
    return [compose(f"Customer {tag}{i} <c{tag}{i}@customer.example>", f"Order {tag}{i}", f"Where is order {tag}{i}?")
            for i in range(count)]


def test_500_mails_that_arrive_while_the_gateway_is_stopped_are_all_stored_once(gateway, smtp_sink, dovecot):
    first, first_id = compose("Ana <ana@customer.example>", "Before", "the first one")
    dovecot.deliver(first)
    gw = mail_gateway(gateway, smtp_sink.url, dovecot)
    wait_inbound(gw, first_id)
    caught_up(gw, last_uid=1)
    gw.stop()
    for raw, _ in mails(500, "s"):
        dovecot.deliver(raw)
    started = time.monotonic()
    gw.start()
    entry = caught_up(gw, last_uid=501)
    took = time.monotonic() - started
    print(f"caught up on 500 mails in {took:.1f} s (debug build)")
    assert inbound_rows(gw) == (501, 501)
    text = gw.session.get(f"{gw.url}/metrics", timeout=10).text
    assert metric(text, "switchboard_inbound_messages_total", adapter=MAIL, result="stored") == 500
    assert metric(text, "switchboard_inbound_messages_total", adapter=MAIL, result="duplicate") == 0, "nothing fetched twice"
    assert metric(text, "switchboard_mailbox_up", adapter=MAIL, mailbox=entry["mailbox"]) == 1
    assert 'switchboard_mailbox_lag_seconds{' in text
    # Restarted once more with nothing new: nothing is fetched again.
    gw.restart()
    caught_up(gw, last_uid=501)
    text = gw.session.get(f"{gw.url}/metrics", timeout=10).text
    assert metric(text, "switchboard_inbound_messages_total", adapter=MAIL, result="duplicate") == 0
    assert inbound_rows(gw) == (501, 501)


def test_a_mail_a_human_read_before_the_gateway_fetched_it_is_still_stored(gateway, smtp_sink, dovecot):
    gw = mail_gateway(gateway, smtp_sink.url, dovecot)
    caught_up(gw)
    gw.stop()
    raw, mid = compose("Rosa <rosa@customer.example>", "Read by a colleague", "a human opened this first")
    dovecot.deliver(raw)
    client = dovecot.imap()
    try:
        client.select("INBOX")
        status, _ = client.store("1:*", "+FLAGS", "(\\Seen)")
        assert status == "OK"
    finally:
        client.logout()
    assert dovecot.unseen_count() == 0
    gw.start()
    _, message = wait_inbound(gw, mid)
    assert "a human opened this first" in message["body"]


def test_a_new_uidvalidity_is_read_again_without_duplicates(gateway, smtp_sink, dovecot):
    batch = mails(3, "v")
    for raw, _ in batch:
        dovecot.deliver(raw)
    gw = mail_gateway(gateway, smtp_sink.url, dovecot)
    before = caught_up(gw, last_uid=3)
    gw.stop()
    # Dovecot renumbers a maildir whose UID list and indexes are gone (as after a restore from a
    # backup or a move to another server): new UIDVALIDITY.
    time.sleep(1.1)  # UIDVALIDITY is a time in seconds
    for path in dovecot.maildir.iterdir():
        if path.name.startswith("dovecot"):
            path.unlink() if path.is_file() else shutil.rmtree(path)
    new, new_id = compose("Late <late@customer.example>", "After the move", "written after the renumbering")
    dovecot.deliver(new)
    gw.start()
    wait_inbound(gw, new_id)
    after = caught_up(gw)
    assert after["uid_validity"] != before["uid_validity"], (before, after)
    assert inbound_rows(gw) == (4, 4), "the three read again are kept out by idempotency"
    text = gw.session.get(f"{gw.url}/metrics", timeout=10).text
    assert metric(text, "switchboard_inbound_messages_total", adapter=MAIL, result="stored") == 1
    assert metric(text, "switchboard_inbound_messages_total", adapter=MAIL, result="duplicate") == 3


def test_idle_stores_new_mail_within_about_a_second_and_a_broken_mailbox_holds_up_nothing(gateway, smtp_sink, dovecot):
    adapter = email_adapter(smtp_sink.url, dovecot)
    # Polling alone would take a minute: only IDLE can be this quick. "Missing" does not exist.
    adapter["imap"].update({"poll": "60s", "mailboxes": ["INBOX", "Missing"]})
    gw = gateway({"adapters": [adapter]}, env=mail_env(SB_IMAP_PASSWORD=dovecot.password))
    wait_until(lambda: (mailbox(gw) or {}).get("idle"), SLOW, interval=0.2, what="INBOX waiting in IDLE")
    broken = wait_until(lambda: (lambda e: e if e and e["status"].startswith("degraded") else None)(mailbox(gw, name="Missing")),
                        SLOW, interval=0.2, what="the missing mailbox reported")
    assert "Missing" in broken["status"], broken
    ready = gw.session.get(f"{gw.url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["adapters"][MAIL].startswith("degraded"), ready.text
    latencies = []
    for raw, mid in mails(3, "i"):
        delivered = time.monotonic()
        dovecot.deliver(raw)
        wait_inbound(gw, mid, timeout=SLOW)
        latencies.append(time.monotonic() - delivered)
        wait_until(lambda: (mailbox(gw) or {}).get("idle"), SLOW, interval=0.1, what="back in IDLE")
    print("IDLE delivery latencies (s, incl. the API's polling of 0.3 s):", [round(x, 2) for x in latencies])
    assert max(latencies) < 10, latencies
    text = gw.session.get(f"{gw.url}/metrics", timeout=10).text
    assert metric(text, "switchboard_mailbox_up", adapter=MAIL, mailbox=broken["mailbox"]) == 0
    assert metric(text, "switchboard_mailbox_up", adapter=MAIL, mailbox=mailbox(gw)["mailbox"]) == 1
    assert metric(text, "switchboard_mailbox_lag_seconds", adapter=MAIL, mailbox=mailbox(gw)["mailbox"]) == 0
