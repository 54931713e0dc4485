"""Attachment contents end to end: a customer's mail with a PDF and an image POSTed to the real
binary, both files downloaded back through the agent API by the conversation's owner, byte for
byte; another agent is refused; a file over the adapter's `attachments.max_bytes` is listed with
`stored: false` and its reason, and the message itself is still stored."""

from __future__ import annotations

import hashlib
import os
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote

from conftest import unique

MAIL = "support-mail"
PDF = b"%PDF-1.4\n" + bytes((i * 37) % 256 for i in range(20_000)) + b"\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + os.urandom(3_000)
LARGE = os.urandom(80_000)
# The mail hook's shared secret; posts are signed with it, as `switchboard mailgate` signs.
MAIL_SECRET = "mail-" + os.urandom(16).hex()


def mail_gateway(gateway, **attachments):
    adapter = {"id": MAIL, "type": "email", "team": "support", "address": "support@example.com",
               # Nothing is sent in these tests; the port only has to be a valid SMTP URL.
               "smtp": {"url": "smtp://127.0.0.1:9"}, "secret_env": "SB_MAIL_SECRET"}
    if attachments:
        adapter["attachments"] = attachments
    # The whole mail must fit `server.max_body` (413 otherwise, before any attachment is looked at).
    return gateway({"server": {"max_body": "1m"}, "adapters": [adapter]}, env={"SB_MAIL_SECRET": MAIL_SECRET})


def compose(files: list[tuple[bytes, str, str, str]]) -> bytes:
    """A customer's mail with `files` as (bytes, maintype, subtype, filename) attachments."""
    msg = EmailMessage()
    msg["From"] = "Nora Client <nora@client.example>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Invoice and a photo"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=unique("att"), domain="client.example")
    msg.set_content("The invoice and a photo of the damage are attached.")
    for data, maintype, subtype, name in files:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


def post(gw, raw: bytes) -> int:
    r = gw.post_hook(MAIL, raw=raw, secret=MAIL_SECRET, headers={"Content-Type": "message/rfc822"}, timeout=30)
    assert r.status_code == 200, f"hook answered {r.status_code}: {r.text}"
    return r.json()["messages"][0]


def stored_message(gw, message_id: int) -> tuple[dict, dict]:
    for c in gw.conversations("marta"):
        detail = gw.get_json("marta", f"conversations/{c['id']}")
        for m in detail["messages"]:
            if m["id"] == message_id:
                return detail, m
    raise AssertionError(f"message {message_id} not found")


def download(gw, agent: str, message_id: int, index: int):
    return gw.api(agent, "GET", f"messages/{message_id}/attachments/{index}")


def filename_star(disposition: str) -> str:
    value = disposition.split("filename*=", 1)[1].split(";", 1)[0]
    assert value.startswith("UTF-8''"), disposition
    return unquote(value[len("UTF-8''"):])


def test_owner_downloads_both_files_and_another_agent_cannot(gateway):
    gw = mail_gateway(gateway)
    pdf_name = 'Factura "marzo" ñ.pdf'
    message_id = post(gw, compose([(PDF, "application", "pdf", pdf_name), (PNG, "image", "png", "damage.png")]))
    detail, message = stored_message(gw, message_id)

    files = message["attachments"]
    assert [f["file_name"] for f in files] == [pdf_name, "damage.png"]
    assert [f["stored"] for f in files] == [True, True]
    assert files[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert files[1]["size"] == len(PNG)
    assert "content" not in files[0], "the bytes never travel inside the message"

    owner = detail["owner"]
    other = "luis" if owner == "ana" else "ana"
    pdf = download(gw, owner, message_id, 0)
    assert pdf.status_code == 200, pdf.text
    assert pdf.content == PDF
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    disposition = pdf.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert filename_star(disposition) == pdf_name
    assert "\r" not in disposition and "\n" not in disposition

    png = download(gw, owner, message_id, 1)
    assert png.status_code == 200
    assert png.content == PNG
    assert png.headers["Content-Type"] == "image/png"

    # Supervisors see every conversation; another agent does not, nor does nobody.
    assert download(gw, "marta", message_id, 0).content == PDF
    refused = download(gw, other, message_id, 0)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert download(gw, None, message_id, 0).status_code == 401
    assert download(gw, owner, message_id, 2).status_code == 404
    assert download(gw, owner, 999_999, 0).status_code == 404
    assert download(gw, owner, message_id, "x").status_code == 400


def test_the_same_file_twice_is_downloadable_from_both_messages(gateway):
    gw = mail_gateway(gateway)
    first = post(gw, compose([(PDF, "application", "pdf", "a.pdf")]))
    second = post(gw, compose([(PDF, "application", "pdf", "copy.pdf")]))
    a = download(gw, "marta", first, 0)
    b = download(gw, "marta", second, 0)
    assert a.content == b.content == PDF
    assert filename_star(b.headers["Content-Disposition"]) == "copy.pdf"


def test_a_file_over_the_limit_is_listed_but_not_kept(gateway):
    gw = mail_gateway(gateway, max_bytes="64k")
    message_id = post(gw, compose([(LARGE, "application", "octet-stream", "dump.bin"), (PNG, "image", "png", "ok.png")]))
    _, message = stored_message(gw, message_id)
    large, small = message["attachments"]
    assert large["stored"] is False
    assert large["size"] == len(LARGE)
    assert "attachments.max_bytes" in large["reason"]
    assert small["stored"] is True

    refused = download(gw, "marta", message_id, 0)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "attachment_not_stored"
    assert "max_bytes" in refused.json()["error"]["message"]
    assert download(gw, "marta", message_id, 1).content == PNG
