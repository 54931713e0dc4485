"""Inbound media end to end: the corpus's WhatsApp image and voice note, Telegram document and Twilio
MMS are posted to the real binary, which stores and acknowledges each message at once (the attachment
shows `stored: false, state: "fetching"`), then a background job fetches the content from a local
server playing each platform's media API (with the platform's credentials) into the attachment store:
the owner downloads the same bytes, another agent is refused. A fetch that fails twice is retried
with backoff and succeeds; a job outlives a restart; a permanent failure shows its reason."""

from __future__ import annotations

import base64
import os
import sys
import urllib.parse
from pathlib import Path

import pytest

from conftest import REPO, wait_until
from test_social_meta import ACCESS_TOKEN, ENV as META_ENV, post_meta, whatsapp_adapter
from test_social_others import (PUBLIC_URL, TELEGRAM_ENV, TG_TOKEN, TW_SID, TW_TOKEN, TWILIO_ENV, post_telegram,
                                telegram_adapter, twilio_adapter, twilio_signature)

sys.path.insert(0, str(Path(__file__).parent / "support"))
from media_platform import MediaPlatform  # noqa: E402

CORPUS = Path(os.environ.get("SWITCHBOARD_CORPUS") or REPO.parent / "shared" / "corpus")
CORPUS_NUMBER_ID = "1122334455667"  # metadata.phone_number_id of the pywa payloads
JPEG = bytes.fromhex("ffd8ffe000104a464946") + os.urandom(40_000) + bytes.fromhex("ffd9")
OGG = b"OggS\x00\x02" + os.urandom(9_000)
PDF = b"%PDF-1.4\n" + os.urandom(30_000) + b"\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a") + os.urandom(5_000)


@pytest.fixture
def media():
    m = MediaPlatform()
    yield m
    m.close()


class FakeGraphBase:
    """The Graph API base the WhatsApp adapter is given: the media platform's."""

    def __init__(self, base: str):
        self.base = base


def wa_gateway(gateway, media, **extra):
    adapter = whatsapp_adapter(FakeGraphBase(media.base), phone_number_id=CORPUS_NUMBER_ID)
    return gateway({"adapters": [adapter], **extra}, env=META_ENV)


def serve_whatsapp(media, media_id: str, content: bytes, mime: str, fail: int = 0):
    bearer = f"Bearer {ACCESS_TOKEN}"
    media.route(f"/v21.0/{media_id}", auth=bearer, fail=fail,
                json={"url": f"{media.base}/whatsapp-cdn/{media_id}?ext=1", "mime_type": mime, "id": media_id,
                      "file_size": len(content), "messaging_product": "whatsapp"})
    media.route(f"/whatsapp-cdn/{media_id}?ext=1", auth=bearer, bytes=content, type=mime)


def message_of(gw, message_id: int) -> tuple[dict, dict]:
    conv = gw.conversation_of(message_id)
    [m] = [m for m in conv["messages"] if m["id"] == message_id]
    return conv, m


def wait_settled(gw, message_id: int, index: int = 0, timeout: float = 20) -> dict:
    def check():
        _, m = message_of(gw, message_id)
        a = m["attachments"][index]
        return a if a.get("state") != "fetching" else None
    return wait_until(check, timeout, what=f"attachment {index} of message {message_id} settled")


def assert_downloads(gw, conv: dict, message_id: int, index: int, content: bytes, mime: str):
    owner = conv["owner"]
    other = "luis" if owner == "ana" else "ana"
    r = gw.api(owner, "GET", f"messages/{message_id}/attachments/{index}")
    assert r.status_code == 200, r.text
    assert r.content == content
    assert r.headers["Content-Type"].startswith(mime)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert gw.api(other, "GET", f"messages/{message_id}/attachments/{index}").status_code == 403


def test_whatsapp_image_and_voice_note_are_fetched_and_downloadable(gateway, media):
    gw = wa_gateway(gateway, media)
    serve_whatsapp(media, "65463453", JPEG, "image/jpeg")
    serve_whatsapp(media, "1234567890987654321", OGG, "audio/ogg")

    r = post_meta(gw, "wa", (CORPUS / "social/whatsapp/pywa_split/message__image.json").read_bytes())
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    [image_id] = r.json()["messages"]
    # The pywa payloads share one wamid: the voice note gets its own.
    voice_payload = (CORPUS / "social/whatsapp/pywa_split/message__voice.json").read_bytes().replace(b"wamid.xyzxyz", b"wamid.voice1")
    r = post_meta(gw, "wa", voice_payload)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    [voice_id] = r.json()["messages"]

    image = wait_settled(gw, image_id)
    assert image["stored"] is True and image["kind"] == "image" and image["size"] == len(JPEG), image
    voice = wait_settled(gw, voice_id)
    assert voice["stored"] is True and voice["kind"] == "voice", voice

    conv, stored = message_of(gw, image_id)
    # Without a caption the message reads as what it carries, marked as not the customer's words.
    assert stored["body"] == "[photo]" and stored["metadata"]["placeholder"] == "true"
    assert message_of(gw, voice_id)[1]["body"] == "[voice message]"
    assert_downloads(gw, conv, image_id, 0, JPEG, "image/jpeg")
    assert_downloads(gw, conv, voice_id, 0, OGG, "audio/ogg")
    # Looked up and downloaded with the access token, once each.
    assert [h["headers"]["authorization"] for h in media.hits("/v21.0/65463453")] == [f"Bearer {ACCESS_TOKEN}"]
    assert len(media.hits("/whatsapp-cdn/65463453?ext=1")) == 1


def test_a_fetch_that_fails_twice_is_retried_and_succeeds(gateway, media):
    gw = wa_gateway(gateway, media)
    serve_whatsapp(media, "65463453", JPEG, "image/jpeg", fail=2)
    r = post_meta(gw, "wa", (CORPUS / "social/whatsapp/pywa_split/message__image.json").read_bytes())
    assert r.status_code == 200, r.text
    [message_id] = r.json()["messages"]
    # Acknowledged before anything was fetched.
    _, m = message_of(gw, message_id)
    assert m["attachments"][0]["stored"] is False

    image = wait_settled(gw, message_id)
    assert image["stored"] is True, image
    assert len(media.hits("/v21.0/65463453")) == 3
    conv, _ = message_of(gw, message_id)
    assert_downloads(gw, conv, message_id, 0, JPEG, "image/jpeg")
    assert 'result="retry"' in gw.metrics()


def test_a_restart_between_store_and_fetch_still_fetches(gateway, media):
    # The platform is down while the gateway stores the message; a long schedule keeps the job waiting.
    gw = wa_gateway(gateway, media, delivery={"first_retry": "500ms", "max_backoff": "1s", "max_attempts": 1000})
    serve_whatsapp(media, "65463453", JPEG, "image/jpeg", fail=10_000)
    r = post_meta(gw, "wa", (CORPUS / "social/whatsapp/pywa_split/message__image.json").read_bytes())
    assert r.status_code == 200, r.text
    [message_id] = r.json()["messages"]
    wait_until(lambda: media.hits("/v21.0/65463453"), what="a first attempt")
    assert message_of(gw, message_id)[1]["attachments"][0]["state"] == "fetching"
    gw.kill()  # a crash: nothing is finished gracefully

    media.heal("/v21.0/65463453")
    gw.start()
    image = wait_settled(gw, message_id)
    assert image["stored"] is True, image
    conv, _ = message_of(gw, message_id)
    assert_downloads(gw, conv, message_id, 0, JPEG, "image/jpeg")


def test_a_permanent_failure_shows_its_reason(gateway, media):
    gw = wa_gateway(gateway, media)
    # No route: the Graph API answers 404 for the media id.
    r = post_meta(gw, "wa", (CORPUS / "social/whatsapp/pywa_split/message__image.json").read_bytes())
    [message_id] = r.json()["messages"]
    image = wait_settled(gw, message_id)
    assert image["state"] == "failed" and image["stored"] is False, image
    assert "HTTP 404" in image["reason"]
    conv, _ = message_of(gw, message_id)
    r = gw.api(conv["owner"], "GET", f"messages/{message_id}/attachments/0")
    assert r.status_code == 404 and r.json()["error"]["code"] == "attachment_not_stored"


def test_telegram_document_is_fetched_through_getfile(gateway, media):
    gw = gateway({"adapters": [telegram_adapter(media.base)]}, env=TELEGRAM_ENV)
    media.route(f"/bot{TG_TOKEN}/getFile?file_id=documentfileid",
                json={"ok": True, "result": {"file_id": "documentfileid", "file_size": len(PDF), "file_path": "documents/file_7.pdf"}})
    media.route(f"/file/bot{TG_TOKEN}/documents/file_7.pdf", bytes=PDF, type="application/octet-stream")
    r = post_telegram(gw, (CORPUS / "social/telegram/zammad/private/document.json").read_bytes())
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    [message_id] = r.json()["messages"]

    document = wait_settled(gw, message_id)
    assert document["stored"] is True and document["file_name"] == "document.pdf", document
    conv, stored = message_of(gw, message_id)
    # Telegram sent no text: the thread reads what it is, the same as on every adapter.
    assert stored["body"] == "[document: document.pdf]"
    assert_downloads(gw, conv, message_id, 0, PDF, "application/pdf")
    assert TG_TOKEN not in gw.stderr()


def test_twilio_mms_media_are_fetched_with_the_account_credentials(gateway, media):
    gw = gateway({"server": {"public_url": PUBLIC_URL}, "adapters": [twilio_adapter(media.base)]}, env=TWILIO_ENV)
    form = (CORPUS / "social/twilio_sms/constructed/inbound_mms_two_media.form").read_text().strip()
    params = [(k, v.replace("https://api.twilio.com", media.base)) for k, v in urllib.parse.parse_qsl(form, keep_blank_values=True)]
    sid = dict(params)["AccountSid"]
    basic = "Basic " + base64.b64encode(f"{TW_SID}:{TW_TOKEN}".encode()).decode()
    urls = [v for k, v in params if k.startswith("MediaUrl")]
    # Twilio answers a media URL with a redirect to where the file is stored.
    for url, (content, mime) in zip(urls, [(JPEG, "image/jpeg"), (PNG, "image/png")]):
        path = url[len(media.base):]
        media.route(path, auth=basic, redirect=f"{media.base}/storage{path}")
        media.route(f"/storage{path}", bytes=content, type=mime)
    body = urllib.parse.urlencode(params).encode()
    r = gw.post_hook("sms", raw=body, secret=None, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(f"{PUBLIC_URL}/hooks/sms", params)})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    assert sid.startswith("AC")
    [message_id] = r.json()["messages"]
    first = wait_settled(gw, message_id, 0)
    second = wait_settled(gw, message_id, 1)
    assert first["stored"] is True and second["stored"] is True, (first, second)
    conv, stored = message_of(gw, message_id)
    assert stored["body"] == "Here are the photos of the damage"
    assert_downloads(gw, conv, message_id, 0, JPEG, "image/jpeg")
    assert_downloads(gw, conv, message_id, 1, PNG, "image/png")


def test_messenger_attachment_url_is_fetched(gateway, media):
    from test_social_meta import PAGE_ID, messenger_adapter

    gw = gateway({"adapters": [messenger_adapter(FakeGraphBase(media.base))]}, env=META_ENV)
    assert PAGE_ID == "106000000000001"  # the corpus page
    media.route("/v/t1.15752-9/photo_damaged_box.jpg", bytes=JPEG, type="image/jpeg")
    body = (CORPUS / "social/messenger/constructed/message_image_attachment.json").read_bytes().replace(
        b"https://scontent.example.invalid", media.base.encode())
    r = post_meta(gw, "fb", body)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    [message_id] = r.json()["messages"]
    image = wait_settled(gw, message_id)
    assert image["stored"] is True and image["mime_type"] == "image/jpeg", image
    conv, stored = message_of(gw, message_id)
    assert stored["body"] == "[photo]"
    assert_downloads(gw, conv, message_id, 0, JPEG, "image/jpeg")


def test_external_adapter_attachments_carried_or_fetched(gateway, media):
    script = Path(__file__).parent / "support" / "media_adapter.py"
    media.route("/ext/photo.jpg", bytes=JPEG, type="image/jpeg")
    gw = gateway({"adapters": [{"id": "ext", "type": "external", "team": "support", "command": [sys.executable, str(script)],
                                "open": True, "config": {"media_url": f"{media.base}/ext/photo.jpg", "content_hex": PDF.hex()}}]})

    def pushed():
        for c in gw.conversations():
            detail = gw.get_json("marta", f"conversations/{c['id']}")
            for m in detail["messages"]:
                if m.get("external_id") == "ext-media-1":
                    return m
        return None

    message = wait_until(pushed, 20, what="the pushed message")
    # The carried file is stored with the message; the named one is fetched afterwards.
    assert message["attachments"][0]["stored"] is True, message
    photo = wait_settled(gw, message["id"], 1)
    assert photo["stored"] is True, photo
    conv, stored = message_of(gw, message["id"])
    assert stored["body"] == "[document: label.pdf] [photo]"
    assert_downloads(gw, conv, message["id"], 0, PDF, "application/pdf")
    assert_downloads(gw, conv, message["id"], 1, JPEG, "image/jpeg")


def test_x_dm_media_is_fetched(gateway, media):
    from test_social_others import X_ENV, post_x, x_adapter

    gw = gateway({"adapters": [x_adapter(media.base)]}, env=X_ENV)
    mp4 = b"\x00\x00\x00\x18ftypmp42" + os.urandom(12_000)
    path = "/dm_gif/1209117874389843969/Lgs2ZRqicjZjx6kFdwQcu2T5rmEq7br_m8QKHj-RybsPv0yeq5.mp4"
    media.route(path, bytes=mp4, type="video/mp4")
    body = (CORPUS / "social/twitter/derived_json/direct_message-incoming_with_media.json").read_bytes().replace(
        b"https://video.twimg.com", media.base.encode())
    r = post_x(gw, body)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    [message_id] = r.json()["messages"]
    video = wait_settled(gw, message_id)
    assert video["stored"] is True and video["kind"] == "video", video
    conv, _ = message_of(gw, message_id)
    assert_downloads(gw, conv, message_id, 0, mp4, "video/mp4")
