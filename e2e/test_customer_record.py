"""A customer's record and its erasure (issue 21), end to end on SQLite and on PostgreSQL: a customer
who wrote by e-mail (with an attachment), WhatsApp and phone; the export (zip with JSON, HTML and
the file; the HTML page) holds every message and file; after erasure the API, the console, a new
export and the database itself (the SQLite file after the gateway closed it, a pg_dump) no longer
hold the customer's address, name or a sentence they wrote, while the report totals are unchanged,
and the same address writing again is a new customer."""

from __future__ import annotations

import io
import json
import os
import uuid
import zipfile
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest

from conftest import ADAPTER, unique, wait_until
from test_phone import PBX, cdr_row
from test_social_meta import APP_SECRET, ENV as META_ENV, post_meta, wa_text
from trust_support import audit, pg_dump, pg_gateway, postgres  # noqa: F401

MAIL = "support-mail"
MAIL_SECRET = "mail-" + uuid.uuid4().hex


def adapters(receiver_url: str) -> list[dict]:
    return [
        {"id": MAIL, "type": "email", "team": "support", "address": "support@example.com",
         "smtp": {"url": "smtp://127.0.0.1:9"}, "secret_env": "SB_MAIL_SECRET"},
        {"id": "wa", "type": "whatsapp", "team": "support", "api_base": receiver_url.rsplit("/", 1)[0],
         "phone_number_id": "106540352242922", "access_token_env": "META_ACCESS_TOKEN",
         "app_secret_env": "META_APP_SECRET", "verify_token_env": "META_VERIFY_TOKEN"},
        {"id": PBX, "type": "phone-log", "team": "support", "format": "asterisk-cdr", "country_code": "34", "open": True},
    ]


def config(receiver_url: str) -> dict:
    # A reply's first attempt fails (nothing listens on the SMTP port) and waits an hour to retry:
    # it is still queued when the customer is erased.
    return {"server": {"max_body": "1m"}, "adapters": adapters(receiver_url), "routing": {"acknowledge": False},
            "delivery": {"first_retry": "1h", "max_backoff": "1h"}}


ENV = {"SB_MAIL_SECRET": MAIL_SECRET, **META_ENV}


class Customer:
    """A customer with a unique name, address, phone number, sentence and file."""

    def __init__(self):
        tag = uuid.uuid4().hex[:8]
        self.name = f"Evangelina Zq{tag}"
        self.email = f"eva.{tag}@client.example"
        digits = str(uuid.uuid4().int)[:7]
        self.phone = f"+34611{digits}"
        self.sentence = f"My neighbour Tomasz{tag} signed for parcel {tag} without asking me"
        self.file = b"%PDF-1.4 passport scan " + tag.encode() + os.urandom(2000)
        self.tag = tag


def mail(c: Customer) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{c.name} <{c.email}>"
    msg["To"] = "support@example.com"
    msg["Subject"] = f"Parcel {c.tag}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=unique("m"), domain="client.example")
    msg.set_content(c.sentence + "\n\nRegards, " + c.name)
    msg.add_attachment(c.file, maintype="application", subtype="pdf", filename=f"passport-{c.tag}.pdf")
    return bytes(msg)


def write_as(gw, c: Customer) -> tuple[int, int]:
    """E-mail, WhatsApp and a missed call from the customer; merged into one. Returns (customer, conversation)."""
    r = gw.post_hook(MAIL, raw=mail(c), secret=MAIL_SECRET, headers={"Content-Type": "message/rfc822"}, timeout=30)
    assert r.status_code == 200, r.text
    by_mail = gw.conversation_of(r.json()["messages"][0])
    wa_id = c.phone.lstrip("+")
    r = post_meta(gw, "wa", wa_text(unique("wamid"), wa_id, "Also on WhatsApp: " + c.sentence, name=c.name))
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    r = gw.session.post(f"{gw.url}/hooks/{PBX}", data=(cdr_row(f"{unique('call')}", "00" + c.phone.lstrip("+"), "NO ANSWER") + "\n").encode(),
                        headers={"Content-Type": "text/csv"}, timeout=10)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    by_phone = gw.conversation_of(r.json()["messages"][0])
    assert by_phone["customer"]["id"] != by_mail["customer"]["id"]
    merged = gw.api("marta", "POST", f"customers/{by_mail['customer']['id']}/merge", json={"other": by_phone["customer"]["id"]})
    assert merged.status_code == 200, merged.text
    conv = gw.get_json("marta", f"conversations/{by_mail['id']}")
    assert assert_has_all_channels(conv)
    owner = conv["owner"]
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/notes", json={"body": f"{c.name} called twice"}).status_code == 201
    reply = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", json={"body": f"Dear {c.name}, we are on it", "via": MAIL})
    assert reply.status_code == 202, reply.text
    return by_mail["customer"]["id"], conv["id"]


def assert_has_all_channels(conv) -> bool:
    adapters_seen = {m["adapter"] for m in conv["messages"] if m["direction"] == "inbound"}
    assert adapters_seen == {MAIL, "wa", PBX}, adapters_seen
    return True


def totals(gw):
    report = gw.get_json("marta", "reports/summary?since=7d")
    report.pop("now", None)
    report.pop("since", None)
    return report


def check_export(gw, c: Customer, customer: int):
    r = gw.api("marta", "GET", f"customers/{customer}/export?format=json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    record = json.loads(archive.read("customer.json"))
    assert record["format"] == "switchboard-customer-record" and record["customer"]["id"] == customer
    assert record["customer"]["name"] == c.name
    assert {(i["channel"], i["address"]) for i in record["identities"]} >= {("email", c.email), ("phone", c.phone)}
    messages = [m for conv in record["conversations"] for m in conv["messages"]]
    assert {m["adapter"] for m in messages if m["direction"] == "inbound"} == {MAIL, "wa", PBX}
    assert any(c.sentence in m["body"] for m in messages if m.get("adapter") == MAIL)
    assert any(c.sentence in m["body"] for m in messages if m.get("adapter") == "wa")
    assert any(m.get("adapter") == PBX and c.phone in m["body"] for m in messages)
    notes = [m for m in messages if m["direction"] == "note"]
    assert notes and all(m["internal"] for m in notes)
    assert all(not m["internal"] for m in messages if m["direction"] in ("inbound", "outbound"))
    replies = [m for m in messages if m["direction"] == "outbound"]
    assert replies and "delivery" in replies[0] and "attempts" in replies[0]["delivery"]
    assert record["merges"] and record["merges"][0]["merged_by"] == "marta"
    files = [f for m in messages for f in (m.get("attachments") or []) if f.get("path")]
    assert len(files) == 1 and archive.read(files[0]["path"]) == c.file
    page = archive.read("customer.html").decode()
    assert c.sentence in page and files[0]["path"] in page
    html = gw.api("marta", "GET", f"customers/{customer}/export?format=html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert c.name in html.text and c.email in html.text and c.sentence in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]
    # Supervisors only.
    assert gw.api("ana", "GET", f"customers/{customer}/export").status_code == 403
    assert gw.api("marta", "GET", f"customers/{customer}/export?format=pdf").status_code == 400
    assert gw.api("marta", "GET", "customers/999999/export").status_code == 404


def secrets_of(c: Customer) -> list[bytes]:
    # The last two are words as a search index keeps them (folded to lower case), not as written.
    return [c.email.encode(), c.name.encode(), c.sentence.encode(), c.phone.encode(), c.tag.encode() + b" without", c.file[-64:],
            f"tomasz{c.tag}".encode(), f"zq{c.tag}".encode()]


def erase_and_check(gw, c: Customer, customer: int, conversation: int):
    before = totals(gw)
    assert gw.api("ana", "POST", f"customers/{customer}/erase", json={"reason": "x"}).status_code == 403
    assert gw.api("marta", "POST", f"customers/{customer}/erase", json={}).status_code == 400
    r = gw.api("marta", "POST", f"customers/{customer}/erase", json={"reason": "the customer asked (ticket 7)"})
    assert r.status_code == 200, r.text
    erased = r.json()
    assert erased["identities"] >= 2 and erased["cancelled_replies"] == 1 and erased["deleted_files"] == 1
    assert gw.api("marta", "POST", f"customers/{customer}/erase", json={"reason": "again"}).status_code == 409

    # The API: nothing of them left; the conversation stays, every message empty.
    detail = gw.get_json("marta", f"conversations/{conversation}")
    text = json.dumps(detail)
    for secret in (c.email, c.name, c.sentence, c.phone, c.tag):
        assert secret not in text, f"{secret!r} still in the conversation"
    assert all(m["body"] == "" for m in detail["messages"])
    assert detail["customer"]["identities"] == [] and "name" not in detail["customer"]
    assert gw.get_json("marta", f"customers?q={c.tag}")["customers"] == []
    assert gw.get_json("marta", f"search?q=Tomasz{c.tag}")["results"] == []
    assert gw.get_json("marta", f"search?q=Zq{c.tag}")["results"] == []
    assert gw.get_json("marta", f"customers?q={c.phone[3:]}")["customers"] == []
    assert totals(gw) == before, "report totals unchanged"
    # A new export holds nothing of them either.
    r = gw.api("marta", "GET", f"customers/{customer}/export?format=json")
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    blob = b"".join(archive.read(name) for name in archive.namelist())
    for secret in secrets_of(c):
        assert secret not in blob
    assert json.loads(archive.read("customer.json"))["customer"]["erased_at"]
    # The audit trail says who, when and why — not what.
    entry = audit(gw, action="customer_erased")[0]
    assert entry["actor"] == "marta" and entry["subject"] == f"customer:{customer}"
    assert entry["details"]["reason"] == "the customer asked (ticket 7)"
    assert not any(s in json.dumps(audit(gw)) for s in (c.email, c.name, c.sentence, c.phone))
    assert any(e["action"] == "customer_exported" and e["subject"] == f"customer:{customer}" for e in audit(gw))
    # The same address writing again is a new customer.
    r = gw.post_hook(MAIL, raw=mail(c), secret=MAIL_SECRET, headers={"Content-Type": "message/rfc822"}, timeout=30)
    assert r.status_code == 200, r.text
    again = gw.conversation_of(r.json()["messages"][0])
    assert again["customer"]["id"] != customer and again["id"] != conversation
    # …and now the database holds that new message: erase it too before looking at the files.
    assert gw.api("marta", "POST", f"customers/{again['customer']['id']}/erase", json={"reason": "test"}).status_code == 200


def console_shows_nothing_of(gw, c: Customer, conversation: int):
    """The console, in Chromium, as the supervisor: the conversation and the inbox show nothing of them."""
    from test_console import css, make_browser, set_password, sign_in, wait
    set_password(gw, "marta")
    browser = make_browser()
    try:
        sign_in(browser, gw, "marta")
        browser.get(f"{gw.url}/#/c/{conversation}")
        wait(browser, lambda d: css(d, "#thread .msg"), what="the erased conversation")
        page = browser.execute_script("return document.body.innerText")
        for secret in (c.email, c.name, c.sentence, c.phone):
            assert secret not in page, f"{secret!r} is shown by the console"
        browser.get(f"{gw.url}/#/")
        wait(browser, lambda d: css(d, "#inbox-list[data-loaded]"), what="the inbox")
        page = browser.execute_script("return document.body.innerText")
        assert c.name not in page and c.tag not in page
    finally:
        browser.quit()


def test_record_and_erasure_on_sqlite(gateway, receiver):
    gw = gateway(config(receiver.url), env=ENV)
    c = Customer()
    customer, conversation = write_as(gw, c)
    check_export(gw, c, customer)
    erase_and_check(gw, c, customer, conversation)
    console_shows_nothing_of(gw, c, conversation)
    gw.stop()
    # The database itself: the file (the gateway checkpointed and closed it) and any WAL left.
    data = b"".join(p.read_bytes() for p in gw.db_path.parent.glob(gw.db_path.name + "*"))
    assert len(data) > 10_000
    for secret in secrets_of(c):
        assert secret not in data, f"{secret[:40]!r} is still in the SQLite file"


def test_record_and_erasure_on_postgres(pg_gateway, receiver, postgres):
    gw = pg_gateway(config(receiver.url), env=ENV)
    c = Customer()
    customer, conversation = write_as(gw, c)
    check_export(gw, c, customer)
    erase_and_check(gw, c, customer, conversation)
    dump = pg_dump(postgres, gw.database)
    assert b"audit_log" in dump
    for secret in secrets_of(c):
        assert secret not in dump, f"{secret[:40]!r} is still in the PostgreSQL dump"


def test_erasure_from_the_command_line(gateway, receiver):
    from trust_support import cli
    gw = gateway(config(receiver.url), env=ENV)
    c = Customer()
    customer, conversation = write_as(gw, c)
    out = gw.workdir / "record.zip"
    r = cli(gw, "customers", "export", str(customer), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert c.sentence.encode() in zipfile.ZipFile(out).read("customer.json")
    r = cli(gw, "customers", "erase", str(customer), "--reason", "by letter")
    assert r.returncode == 0, r.stderr
    assert "erased customer" in r.stdout
    assert cli(gw, "customers", "erase", str(customer), "--reason", "again").returncode == 65
    assert cli(gw, "customers", "erase", "999999", "--reason", "x").returncode == 66
    assert gw.get_json("marta", f"conversations/{conversation}")["messages"][0]["body"] == ""
    entries = audit(gw, action="customer_erased")
    assert entries[0]["actor"] == "operator" and entries[0]["details"]["reason"] == "by letter"
