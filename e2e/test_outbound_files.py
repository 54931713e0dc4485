"""Files out: an agent uploads a PDF (`POST /api/v1/uploads`) and replies with it on e-mail (real
aiosmtpd), WhatsApp (media upload, then a document message), Telegram (`sendDocument`, multipart)
and Twilio MMS (a `MediaUrl` the fake platform fetches from the gateway's signed, expiring URL);
each platform receives exactly the uploaded bytes. Oversize and forbidden files are refused at once
with the limit named; a retry sends the same file by the platform's media id without uploading it
again; uploads are the uploader's own."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
import time
import urllib.parse

import pytest
import requests

from conftest import PlatformServer, sign, unique, wait_until
from test_email import MAIL, compose, deliver_by_hook, email_adapter, mail_env

PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
PAGE_ID = "106000000000001"
FETCHED_TEMPLATES = {"data": [
    {"name": "shipping_update", "language": "es", "status": "APPROVED", "category": "UTILITY",
     "components": [{"type": "HEADER", "format": "TEXT", "text": "Envío"},
                    {"type": "BODY", "text": "Hola {{1}}, tu pedido {{2}} ha salido hoy."}]},
    {"name": "old_promo", "language": "es", "status": "REJECTED", "components": [{"type": "BODY", "text": "x"}]},
], "paging": {"cursors": {"before": "a", "after": "b"}}}
TG_TOKEN = "123456789:AAE2e-files_token"
TG_SECRET = "e2e-files-secret"
TW_SID = "ACe2e00000000000000000000000000002"
TW_FROM = "+15005550006"
PUBLIC_URL = "https://sb.example.com"
META_SECRET = "meta-files-secret"
ENV = {"META_APP_SECRET": META_SECRET, "META_VERIFY_TOKEN": "verify", "META_ACCESS_TOKEN": "meta-token",
       "TG_BOT_TOKEN": TG_TOKEN, "TG_SECRET": TG_SECRET, "TWILIO_TOKEN": "twilio-token"}
PDF = b"%PDF-1.4\n" + bytes((i * 37) % 256 for i in range(40_000)) + b"\n%%EOF\n"


def form_parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, str | None, bytes]]:
    """A multipart/form-data body's parts by field name: (file name, type, bytes), read as a server
    reads what a browser sends (names in UTF-8 inside the quotes)."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type).group(1).encode()
    assert body.endswith(b"--" + boundary + b"--\r\n"), "closed by the final boundary"
    parts = {}
    for chunk in body.split(b"--" + boundary)[1:-1]:
        assert chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")
        head, _, content = chunk[2:-2].partition(b"\r\n\r\n")
        headers = dict(line.decode().split(": ", 1) for line in head.split(b"\r\n"))
        disposition = headers["Content-Disposition"]
        name = re.search(r'; name="([^"]*)"', disposition).group(1)
        filename = re.search(r'; filename="([^"]*)"', disposition)
        parts[name] = (filename.group(1) if filename else None, headers.get("Content-Type"), content)
    return parts


class Platforms(PlatformServer):
    """One loopback server playing the WhatsApp Cloud API, the Telegram Bot API and Twilio's
    Messages API, recording what each received. Twilio fetches every `MediaUrl` as Twilio does
    (from the gateway: the URL's path and query at the gateway's real address)."""

    def __init__(self):
        self.fetched: list[tuple[int, bytes]] = []
        self.gateway_url = ""
        self.fail_sends = 0
        super().__init__(self.answer)

    def answer(self, record: dict, n: int):
        path = record["path"]
        if record["method"] == "GET":
            ok = path.split("?")[0] == f"/v21.0/{WABA_ID}/message_templates"
            return (200, FETCHED_TEMPLATES) if ok else (404, {"error": "unknown"})
        if path == f"/v21.0/{PHONE_NUMBER_ID}/media":
            return 200, {"id": f"media-{n}"}
        if path == f"/v21.0/{PHONE_NUMBER_ID}/messages":
            with self.lock:
                if self.fail_sends > 0:
                    self.fail_sends -= 1
                    return 503, {"error": {"message": "Service temporarily unavailable", "code": 2}}
            return 200, {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.OUT.{n}"}]}
        if path == f"/v21.0/{PAGE_ID}/message_attachments":
            return 200, {"attachment_id": f"att-{n}"}
        if path == f"/v21.0/{PAGE_ID}/messages":
            return 200, {"recipient_id": "psid", "message_id": f"m_OUT_{n}"}
        if path == f"/bot{TG_TOKEN}/sendDocument":
            return 200, {"ok": True, "result": {"message_id": 77, "chat": {"id": 222333},
                                                "document": {"file_id": "tg-file-1", "file_name": "x.pdf"}}}
        if path == f"/2010-04-01/Accounts/{TW_SID}/Messages.json":
            fields = urllib.parse.parse_qs(record["body"].decode())
            for url in fields.get("MediaUrl", []):
                assert url.startswith(PUBLIC_URL + "/media/"), url
                local = self.gateway_url + url[len(PUBLIC_URL):]
                got = requests.get(local, timeout=10)
                with self.lock:
                    self.fetched.append((got.status_code, got.content))
            return 201, {"sid": f"MM{n:032d}", "status": "queued"}
        return 404, {"error": "unknown path " + path}

    def received(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def platforms():
    p = Platforms()
    yield p
    p.close()


def adapters(platforms: Platforms, smtp_url: str) -> list[dict]:
    return [
        email_adapter(smtp_url),
        {"id": "wa", "type": "whatsapp", "team": "support", "api_base": platforms.base, "phone_number_id": PHONE_NUMBER_ID,
         "access_token_env": "META_ACCESS_TOKEN", "app_secret_env": "META_APP_SECRET", "verify_token_env": "META_VERIFY_TOKEN"},
        {"id": "tg", "type": "telegram", "team": "support", "api_base": platforms.base, "bot_token_env": "TG_BOT_TOKEN",
         "secret_token_env": "TG_SECRET"},
        {"id": "sms", "type": "twilio-sms", "team": "support", "api_base": platforms.base, "account_sid": TW_SID,
         "auth_token_env": "TWILIO_TOKEN", "from": TW_FROM},
        {"id": "fb", "type": "messenger", "team": "support", "api_base": platforms.base, "page_id": PAGE_ID,
         "access_token_env": "META_ACCESS_TOKEN", "app_secret_env": "META_APP_SECRET", "verify_token_env": "META_VERIFY_TOKEN"},
    ]


def start(gateway, platforms, smtp_sink, whatsapp: dict | None = None, **server):
    configured = adapters(platforms, smtp_sink.url)
    configured[1].update(whatsapp or {})
    gw = gateway({"server": {"public_url": PUBLIC_URL, **server}, "adapters": configured}, env={**ENV, **mail_env()})
    platforms.gateway_url = gw.url
    return gw


def upload(gw, agent="marta", data=PDF, name="Factura nº 7.pdf", mime="application/pdf", multipart=False):
    if multipart:
        return gw.api(agent, "POST", "uploads", files={"file": (name, data, mime)})
    return gw.api(agent, "POST", "uploads?filename=" + urllib.parse.quote(name), data=data, headers={"Content-Type": mime})


def whatsapp_message(wa_id: str, sent: int | None = None) -> bytes:
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
             "contacts": [{"profile": {"name": "Ana Lopez"}, "wa_id": wa_id}],
             "messages": [{"from": wa_id, "id": unique("wamid.IN"), "timestamp": str(sent or int(time.time())), "type": "text",
                           "text": {"body": "¿Me mandas la factura?"}}]}
    doc = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}
    return json.dumps(doc).encode()


def inbound(gw, adapter: str) -> int:
    """A customer message through `adapter`; returns its conversation id."""
    if adapter == MAIL:
        raw, _ = compose("Carla <carla@client.example>", "Factura", "¿Me mandáis la factura?")
        return gw.conversation_of(deliver_by_hook(gw, raw))["id"]
    if adapter == "wa":
        body = whatsapp_message("34611222333")
        r = gw.post_hook("wa", raw=body, secret=None, headers={"X-Hub-Signature-256": sign(META_SECRET, body)})
    elif adapter == "tg":
        update = {"update_id": 9001, "message": {"message_id": 5, "date": int(time.time()), "text": "¿la factura?",
                                                 "from": {"id": 222333, "is_bot": False, "first_name": "Tom"},
                                                 "chat": {"id": 222333, "type": "private", "first_name": "Tom"}}}
        r = gw.post_hook("tg", raw=json.dumps(update).encode(), secret=None, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
    else:
        fields = [("MessageSid", unique("SM")), ("AccountSid", TW_SID), ("From", "+34622333444"), ("To", TW_FROM),
                  ("Body", "¿la factura?"), ("NumMedia", "0")]
        url = f"{PUBLIC_URL}/hooks/sms"
        import base64, hmac
        sig = base64.b64encode(hmac.new(b"twilio-token", (url + "".join(k + v for k, v in sorted(fields))).encode(),
                                        hashlib.sha1).digest()).decode()
        r = gw.post_hook("sms", raw=urllib.parse.urlencode(fields).encode(), secret=None,
                         headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})
    assert r.status_code == 200, r.text
    return gw.conversation_of(r.json()["messages"][0])["id"]


def send(gw, conversation: int, attachments: list[dict], body: str = "Adjunto la factura", agent="marta", via=None):
    payload = {"body": body, "attachments": attachments}
    if via:
        payload["via"] = via
    return gw.api(agent, "POST", f"conversations/{conversation}/replies", json=payload)


def test_an_upload_answers_its_digest_and_is_the_uploaders_own(gateway, platforms, smtp_sink):
    gw = start(gateway, platforms, smtp_sink)
    r = upload(gw, agent="ana")
    assert r.status_code == 201, r.text
    up = r.json()
    assert {k: up[k] for k in ("file_name", "mime_type", "size", "sha256")} == {
        "file_name": "Factura nº 7.pdf", "mime_type": "application/pdf", "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest()}
    # The same as a browser's form.
    r = upload(gw, agent="ana", name="label.pdf", multipart=True)
    assert r.status_code == 201, r.text
    assert r.json()["file_name"] == "label.pdf" and r.json()["sha256"] == up["sha256"]

    conversation = inbound(gw, MAIL)
    # Luis may not send Ana's upload (403); nobody may name one that does not exist (422).
    r = send(gw, conversation, [{"upload": up["id"]}], agent="luis")
    assert r.status_code in (403, 422), r.text
    r = send(gw, conversation, [{"upload": 999999}])
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_upload", r.text
    r = send(gw, conversation, [{"upload": up["id"], "index": 1}])
    assert r.status_code == 400, r.text
    # Nothing at all to send.
    r = send(gw, conversation, [], body="  ")
    assert r.status_code == 400, r.text
    r = gw.api("ana", "POST", "uploads", data=b"", headers={"Content-Type": "application/pdf"})
    assert r.status_code == 400, r.text


def test_a_pdf_goes_out_byte_equal_on_email_whatsapp_telegram_and_mms(gateway, platforms, smtp_sink):
    gw = start(gateway, platforms, smtp_sink)
    up = upload(gw).json()

    # E-mail: a MIME part with the name RFC 2231-encoded.
    conversation = inbound(gw, MAIL)
    r = send(gw, conversation, [{"upload": up["id"]}])
    assert r.status_code == 202, r.text
    assert [a["file_name"] for a in r.json()["attachments"]] == ["Factura nº 7.pdf"]
    gw.wait_delivery(conversation, r.json()["id"], "sent", timeout=30)
    [mail] = smtp_sink.wait_for(1)
    [part] = list(mail.message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == "Factura nº 7.pdf"
    unfolded = mail.raw.replace(b"\r\n\t", b"").replace(b"\r\n ", b" ").lower()
    # RFC 2231 (GMime picks the smallest charset that holds the name), never raw 8-bit.
    assert re.search(rb"filename\*=(utf-8''factura%20n%c2%ba|iso-8859-1''factura%20n%ba)%207\.pdf", unfolded), mail.raw[:2000]
    assert part.get_payload(decode=True) == PDF
    assert mail.message.get_body(("plain",)).get_content().strip() == "Adjunto la factura"
    # The thread shows the file on the reply, downloadable like a customer's.
    shown = gw.find_message(conversation, r.json()["id"])
    assert shown["attachments"][0]["stored"] is True
    assert gw.api("marta", "GET", f"messages/{shown['id']}/attachments/0").content == PDF

    # WhatsApp: the file is uploaded to /media, then sent as a document with the caption.
    conversation = inbound(gw, "wa")
    r = send(gw, conversation, [{"upload": up["id"]}])
    assert r.status_code == 202, r.text
    gw.wait_delivery(conversation, r.json()["id"], "sent")
    [media] = platforms.received(f"/v21.0/{PHONE_NUMBER_ID}/media")
    assert media["headers"]["authorization"] == "Bearer meta-token"
    parts = form_parts(media["headers"]["content-type"], media["body"])
    assert parts["messaging_product"][2] == b"whatsapp"
    assert parts["type"][2] == b"application/pdf"
    assert parts["file"][2] == PDF
    [sent] = platforms.received(f"/v21.0/{PHONE_NUMBER_ID}/messages")
    assert json.loads(sent["body"]) == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "34611222333", "type": "document",
        "document": {"id": "media-1", "caption": "Adjunto la factura", "filename": "Factura nº 7.pdf"}}

    # Telegram: sendDocument, multipart, the text as caption.
    conversation = inbound(gw, "tg")
    r = send(gw, conversation, [{"upload": up["id"]}])
    assert r.status_code == 202, r.text
    gw.wait_delivery(conversation, r.json()["id"], "delivered")
    [doc] = platforms.received(f"/bot{TG_TOKEN}/sendDocument")
    parts = form_parts(doc["headers"]["content-type"], doc["body"])
    assert parts["chat_id"][2] == b"222333"
    assert parts["caption"][2] == "Adjunto la factura".encode()
    assert parts["document"][2] == PDF
    assert parts["document"][0] == "Factura nº 7.pdf"

    # Twilio MMS: a signed MediaUrl under public_url, which the platform fetches.
    conversation = inbound(gw, "sms")
    r = send(gw, conversation, [{"upload": up["id"]}])
    assert r.status_code == 202, r.text
    gw.wait_delivery(conversation, r.json()["id"], "sent")
    [mms] = platforms.received(f"/2010-04-01/Accounts/{TW_SID}/Messages.json")
    fields = urllib.parse.parse_qs(mms["body"].decode())
    assert fields["Body"] == ["Adjunto la factura"]
    [link] = fields["MediaUrl"]
    assert platforms.fetched == [(200, PDF)]
    # Without the signature, with another, or after the expiry: refused.
    path = link[len(PUBLIC_URL):]
    unsigned = path.split("?")[0]
    assert requests.get(gw.url + unsigned, timeout=10).status_code == 403
    tampered = path.replace("signature=", "signature=0")
    assert requests.get(gw.url + tampered, timeout=10).status_code == 403
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    expired = f"{unsigned}?expires={int(time.time()) - 10}&signature={query['signature'][0]}"
    assert requests.get(gw.url + expired, timeout=10).status_code == 403
    other = path.replace(f"/{unsigned.rsplit('/', 1)[1]}?", "/1?")
    assert requests.get(gw.url + other, timeout=10).status_code == 403


def test_limits_are_enforced_before_queueing_and_shown(gateway, platforms, smtp_sink):
    gw = start(gateway, platforms, smtp_sink, max_upload="6m")
    # Over the gateway's own upload limit: 413 with the limit.
    r = upload(gw, data=b"x" * (6 * 1024 * 1024 + 1))
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload_too_large", r.text
    assert "6 MiB" in r.json()["error"]["message"]

    conversation = inbound(gw, "sms")
    detail = gw.get_json("marta", f"conversations/{conversation}")
    [sms] = [c for c in detail["channels"] if c["adapter"] == "sms"]
    assert sms["attachments"]["max_files"] == 10 and sms["attachments"]["max_total_bytes"] == 5_000_000
    before = len(detail["messages"])

    big = upload(gw, data=b"%PDF" + b"0" * 5_500_000, name="big.pdf").json()
    r = send(gw, conversation, [{"upload": big["id"]}])
    assert r.status_code == 422, r.text
    assert r.json()["error"] == {"code": "attachment_too_large",
                                 "message": "MMS documents are limited to 5 MB; 'big.pdf' has 5.5 MB"}
    exe = upload(gw, data=b"MZ\x90\x00", name="tool.exe", mime="application/x-msdownload").json()
    r = send(gw, conversation, [{"upload": exe["id"]}])
    assert r.status_code == 422 and r.json()["error"]["code"] == "attachment_type_not_allowed", r.text
    assert "application/x-msdownload" in r.json()["error"]["message"]
    # Nothing was queued, nothing reached the platform.
    assert len(gw.get_json("marta", f"conversations/{conversation}")["messages"]) == before
    assert platforms.received(f"/2010-04-01/Accounts/{TW_SID}/Messages.json") == []

    # WhatsApp: one file per message.
    conversation = inbound(gw, "wa")
    pdf = upload(gw).json()
    r = send(gw, conversation, [{"upload": pdf["id"]}, {"upload": pdf["id"]}])
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_many_attachments", r.text


def test_a_retry_resends_the_same_file_by_its_media_id_and_forwarding_works(gateway, platforms, smtp_sink):
    gw = start(gateway, platforms, smtp_sink)
    conversation = inbound(gw, "wa")
    up = upload(gw).json()
    platforms.fail_sends = 1
    r = send(gw, conversation, [{"upload": up["id"]}], body="")
    assert r.status_code == 202, r.text
    gw.wait_delivery(conversation, r.json()["id"], "sent")
    assert len(platforms.received(f"/v21.0/{PHONE_NUMBER_ID}/media")) == 1, "uploaded once"
    sends = platforms.received(f"/v21.0/{PHONE_NUMBER_ID}/messages")
    assert len(sends) == 2
    assert json.loads(sends[0]["body"])["document"]["id"] == json.loads(sends[1]["body"])["document"]["id"]
    assert "caption" not in json.loads(sends[1]["body"])["document"]

    # Forwarding a stored attachment (here the reply's own file) to the customer's e-mail.
    reply_id = r.json()["id"]
    raw, _ = compose("Ana Lopez <ana.lopez@client.example>", "Factura", "por mail también, porfa")
    mail_conversation = gw.conversation_of(deliver_by_hook(gw, raw))["id"]
    r = send(gw, mail_conversation, [{"message": reply_id, "index": 0}], body="Te la reenvío")
    assert r.status_code == 202, r.text
    [mail] = smtp_sink.wait_for(1, timeout=30)
    [part] = list(mail.message.iter_attachments())
    assert part.get_payload(decode=True) == PDF


def test_the_whatsapp_window_runs_from_the_platforms_timestamp(gateway, platforms, smtp_sink):
    """A message WhatsApp sent 25 hours ago, delivered by a late webhook a moment ago: the window is closed."""
    gw = start(gateway, platforms, smtp_sink)
    body = whatsapp_message("34699888777", sent=int(time.time()) - 25 * 3600)
    r = gw.post_hook("wa", raw=body, secret=None, headers={"X-Hub-Signature-256": sign(META_SECRET, body)})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    detail = gw.conversation_of(r.json()["messages"][0])
    [wa] = [c for c in detail["channels"] if c["adapter"] == "wa"]
    assert not wa["can_reply"]
    r = send(gw, detail["id"], [], body="¿Sigues ahí?")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "outside_reply_window"
    assert "25.0 h ago" in r.json()["error"]["message"]
    assert platforms.received(f"/v21.0/{PHONE_NUMBER_ID}/messages") == []


def test_a_template_with_two_parameters_goes_out_outside_the_window(gateway, platforms, smtp_sink):
    gw = start(gateway, platforms, smtp_sink, whatsapp={"templates": [
        {"name": "order_update", "language": "es", "text": "Hola {{1}}, tu pedido {{2}} está en camino."},
        {"name": "welcome", "language": "en_US", "text": "Welcome!"}]})
    body = whatsapp_message("34688777666", sent=int(time.time()) - 30 * 3600)
    r = gw.post_hook("wa", raw=body, secret=None, headers={"X-Hub-Signature-256": sign(META_SECRET, body)})
    assert r.status_code == 200, r.text
    detail = gw.conversation_of(r.json()["messages"][0])
    [wa] = [c for c in detail["channels"] if c["adapter"] == "wa"]
    assert not wa["can_reply"] and "approved message templates" in wa["reason"]
    assert wa["templates"][0] == {"name": "order_update", "language": "es", "parameters": 2,
                                  "text": "Hola {{1}}, tu pedido {{2}} está en camino."}

    # Free text is refused; the template with its two parameters goes out as the Graph API expects it.
    assert send(gw, detail["id"], [], body="Hola").status_code == 422
    template = {"name": "order_update", "language": "es", "parameters": ["Ana", "SB-1042"]}
    r = gw.api("marta", "POST", f"conversations/{detail['id']}/replies", json={"template": template})
    assert r.status_code == 202, r.text
    assert r.json()["body"] == "Hola Ana, tu pedido SB-1042 está en camino."
    gw.wait_delivery(detail["id"], r.json()["id"], "sent")
    [sent] = platforms.received(f"/v21.0/{PHONE_NUMBER_ID}/messages")
    assert json.loads(sent["body"]) == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "34688777666", "type": "template",
        "template": {"name": "order_update", "language": {"code": "es"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "SB-1042"}]}]}}

    # A wrong count, an unknown template, and text beside a template are refused before queueing.
    for bad, code in (({"name": "order_update", "language": "es", "parameters": ["Ana"]}, "template_parameters"),
                      ({"name": "order_update", "language": "en_US", "parameters": []}, "unknown_template")):
        r = gw.api("marta", "POST", f"conversations/{detail['id']}/replies", json={"template": bad})
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    r = gw.api("marta", "POST", f"conversations/{detail['id']}/replies", json={"template": template, "body": "x"})
    assert r.status_code == 400, r.text


def test_templates_fetch_lists_the_approved_ones(gateway, platforms, smtp_sink):
    gw = start(gateway, platforms, smtp_sink, whatsapp={"templates": "fetch", "waba_id": WABA_ID})
    conversation = inbound(gw, "wa")

    def listed():
        detail = gw.get_json("marta", f"conversations/{conversation}")
        [wa] = [c for c in detail["channels"] if c["adapter"] == "wa"]
        return wa.get("templates")

    templates = wait_until(listed, what="the fetched templates")
    assert templates == [{"name": "shipping_update", "language": "es", "parameters": 2,
                          "text": "Hola {{1}}, tu pedido {{2}} ha salido hoy."}]
    [fetch] = [q for q in platforms.requests if q["path"].startswith(f"/v21.0/{WABA_ID}/message_templates")]
    assert "status=APPROVED" in fetch["path"] and fetch["headers"]["authorization"] == "Bearer meta-token"
    r = gw.api("marta", "POST", f"conversations/{conversation}/replies",
               json={"template": {"name": "shipping_update", "language": "es", "parameters": ["Tom", "77"]}})
    assert r.status_code == 202, r.text
    gw.wait_delivery(conversation, r.json()["id"], "sent")


def test_messenger_uploads_the_file_once_then_sends_it_by_attachment_id(gateway, platforms, smtp_sink):
    gw = start(gateway, platforms, smtp_sink)
    now = int(time.time() * 1000)
    event = {"sender": {"id": "24000000000000077"}, "recipient": {"id": PAGE_ID}, "timestamp": now,
             "message": {"mid": unique("m_IN"), "text": "¿factura?"}}
    body = json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": now, "messaging": [event]}]}).encode()
    r = gw.post_hook("fb", raw=body, secret=None, headers={"X-Hub-Signature-256": sign(META_SECRET, body)})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    conversation = gw.conversation_of(r.json()["messages"][0])["id"]
    up = upload(gw).json()
    r = send(gw, conversation, [{"upload": up["id"]}])
    assert r.status_code == 202, r.text
    gw.wait_delivery(conversation, r.json()["id"], "sent")
    # The text first (request 1), then the file's upload (request 2, answered "att-2"), then the file by id.
    [attachment] = platforms.received(f"/v21.0/{PAGE_ID}/message_attachments")
    parts = form_parts(attachment["headers"]["content-type"], attachment["body"])
    assert json.loads(parts["message"][2]) == {"attachment": {"type": "file", "payload": {"is_reusable": True}}}
    assert parts["filedata"][2] == PDF and parts["filedata"][1] == "application/pdf"
    text, file = [json.loads(q["body"]) for q in platforms.received(f"/v21.0/{PAGE_ID}/messages")]
    assert text["message"] == {"text": "Adjunto la factura"}
    assert file == {"recipient": {"id": "24000000000000077"}, "messaging_type": "RESPONSE",
                    "message": {"attachment": {"type": "file", "payload": {"attachment_id": "att-2"}}}}
