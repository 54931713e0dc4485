"""Telegram, X (direct messages) and Twilio SMS end to end: the real binary verifies each
platform's signature, stores what it decodes in the customer's conversation, answers handshakes
exactly, and sends agents' replies to the platform's API (a local server) in the platform's shape.

Corpus files and signature vectors are read in place from $SWITCHBOARD_CORPUS (default
<repo>/../shared/corpus)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import urllib.parse
from pathlib import Path

import pytest

from conftest import REPO, PlatformServer, metric, wait_until

CORPUS = Path(os.environ.get("SWITCHBOARD_CORPUS") or REPO.parent / "shared" / "corpus")
VECTORS = json.loads((CORPUS / "signatures" / "test_vectors.json").read_text())

TG_TOKEN = "123456789:AAE2e-bot_token"
TG_SECRET = "e2e-secret_TOKEN-1"
X_SECRET = "acceptance_x_consumer_secret"  # the corpus vectors' consumer secret
X_ACCOUNT = "2975699229"                    # for_user_id of the corpus events
X_TOKEN = "x-e2e-access-token"
TW_SID = "ACe2e00000000000000000000000000001"
TW_TOKEN = "twilio-e2e-auth-token"
TW_FROM = "+15005550006"
PUBLIC_URL = "https://sb.example.com"       # what Twilio would have been told; it signs over it


def corpus(relative: str) -> bytes:
    return (CORPUS / relative).read_bytes()


def api_base(receiver) -> str:
    return receiver.url.rsplit("/", 1)[0]


def twilio_signature(url: str, params: list[tuple[str, str]], token: str = TW_TOKEN) -> str:
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def post_twilio(gw, params: list[tuple[str, str]], adapter="sms", signature: str | None = None):
    body = urllib.parse.urlencode(params).encode()
    sig = signature if signature is not None else twilio_signature(f"{PUBLIC_URL}/hooks/{adapter}", params)
    return gw.post_hook(adapter, raw=body, secret=None, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig})


def sms(sid: str, sender: str, text: str) -> list[tuple[str, str]]:
    return [("ToCountry", "US"), ("SmsMessageSid", sid), ("NumMedia", "0"), ("SmsSid", sid), ("SmsStatus", "received"),
            ("Body", text), ("To", TW_FROM), ("MessageSid", sid), ("AccountSid", TW_SID), ("From", sender),
            ("ApiVersion", "2010-04-01")]


def post_telegram(gw, body: bytes, secret: str | None = TG_SECRET, adapter="tg"):
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    return gw.post_hook(adapter, raw=body, secret=None, headers=headers)


def post_x(gw, body: bytes, signature: str | None = None, adapter="xdm"):
    sig = signature or "sha256=" + base64.b64encode(hmac.new(X_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return gw.post_hook(adapter, raw=body, secret=None, headers={"x-twitter-webhooks-signature": sig})


def stored_id(response) -> int:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["stored"] == 1, answer
    return answer["messages"][0]


def reply(gw, conv, body, **extra):
    r = gw.api(conv["owner"] or "marta", "POST", f"conversations/{conv['id']}/replies", json={"body": body, **extra})
    assert r.status_code == 202, r.text
    return r.json()


def telegram_adapter(base: str, **extra) -> dict:
    return {"id": "tg", "type": "telegram", "team": "support", "api_base": base,
            "bot_token_env": "TG_BOT_TOKEN", "secret_token_env": "TG_SECRET", **extra}


TELEGRAM_ENV = {"TG_BOT_TOKEN": TG_TOKEN, "TG_SECRET": TG_SECRET}
X_ENV = {"X_SECRET": X_SECRET, "X_TOKEN": X_TOKEN}
TWILIO_ENV = {"TWILIO_TOKEN": TW_TOKEN}


class PlatformFake(PlatformServer):
    """A platform API that answers with scripted JSON (the shared receiver always answers
    `{"id": …}`), for flows that depend on what the platform says: ids for status callbacks,
    refusals."""

    def __init__(self, answers: list[tuple[int, dict]]):
        self.answers = answers
        super().__init__(lambda record, n: self.answers[min(n, len(self.answers)) - 1])
        self.url = self.base


@pytest.fixture
def platform():
    made: list[PlatformFake] = []

    def make(answers):
        fake = PlatformFake(answers)
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()


# ---------------------------------------------------------------------------------------------
# Telegram


def test_telegram_update_is_stored_edited_and_answered(gateway, receiver):
    gw = gateway({"adapters": [telegram_adapter(api_base(receiver))]}, env=TELEGRAM_ENV)

    mid = stored_id(post_telegram(gw, corpus("social/telegram/zammad/private/text.json")))
    conv = gw.conversation_of(mid)
    [msg] = [m for m in conv["messages"] if m["direction"] == "inbound"]
    assert msg["external_id"] == "111111:5"
    assert msg["body"] == "Hello, I need your Help"
    assert conv["customer"]["name"] == "Test Firstname Test Lastname"
    assert {"channel": "telegram", "adapter": "tg", "address": "111111"} in conv["customer"]["identities"]

    # The edit changes the same message; it is no new contact.
    r = post_telegram(gw, corpus("social/telegram/constructed/edited_message_private.json"))
    assert r.status_code == 200, r.text
    conv = gw.get_json("marta", f"conversations/{conv['id']}")
    [msg] = [m for m in conv["messages"] if m["direction"] == "inbound"]
    assert msg["body"] == "Hello, I need your Help (order #77)"
    assert conv["customer"]["contacts"] == 1

    # A photo keeps its file id and caption.
    photo_id = stored_id(post_telegram(gw, corpus("social/telegram/zammad/private/photo.json")))
    photo = gw.find_message(conv["id"], photo_id)
    assert photo["body"] == "caption 123<b>abc</b>"
    assert [(a["kind"], a["platform_id"]) for a in photo["attachments"]] == [("image", "photofileid3")]

    # Channel posts are deliberately not stored (200), and the answer says so and why.
    r = post_telegram(gw, corpus("social/telegram/zammad/channel/text.json"))
    assert r.status_code == 200 and r.json()["stored"] == 0
    assert r.json()["ignored"] == 1 and r.json()["ignored_reasons"] == [{"count": 1, "reason": "channel_post"}], r.json()

    out = reply(gw, conv, "On it — ¿me das el número de pedido?", in_reply_to=mid)
    gw.wait_delivery(conv["id"], out["id"], "delivered")
    [sent] = receiver.received()
    assert sent["path"] == f"/bot{TG_TOKEN}/sendMessage"
    assert sent["headers"]["content-type"] == "application/json"
    assert sent["json"] == {"chat_id": 111111, "text": "On it — ¿me das el número de pedido?",
                            "reply_parameters": {"message_id": 5, "allow_sending_without_reply": True}}


def test_telegram_button_press_is_answered_once_stored(gateway, platform):
    """A button press (callback_query) is the customer's activity: stored, then answered with
    answerCallbackQuery, so the spinner on the user's button stops. An answer Telegram refuses
    loses nothing: the press stays stored and the hook still got its 2xx."""
    refusal = {"ok": False, "error_code": 400,
               "description": "Bad Request: query is too old and response timeout expired or query ID is invalid"}
    fake = platform([(200, {"ok": True, "result": True}), (400, refusal)])
    gw = gateway({"adapters": [telegram_adapter(fake.url)]}, env=TELEGRAM_ENV)
    user = {"id": 424242, "is_bot": False, "first_name": "Tess", "username": "tess"}

    def press(update_id: int, query_id: str):
        return post_telegram(gw, json.dumps({"update_id": update_id, "callback_query": {
            "id": query_id, "from": user, "chat_instance": "-71", "data": "track_order",
            "message": {"message_id": 77, "date": 1718000000, "chat": {"id": 424242, "type": "private"},
                        "text": "Anything else?"}}}).encode())

    def answers():
        return [r for r in fake.requests if r["path"] == f"/bot{TG_TOKEN}/answerCallbackQuery"]

    first = stored_id(press(1, "4001"))
    wait_until(lambda: len(answers()) == 1, what="answerCallbackQuery for the first press")
    assert answers()[0]["json"] == {"callback_query_id": "4001"}
    assert answers()[0]["headers"]["content-type"] == "application/json"
    conv = gw.conversation_of(first)
    [pressed] = [m for m in conv["messages"] if m["id"] == first]
    assert (pressed["direction"], pressed["body"]) == ("event", "[button pressed: track_order]")

    # Refused by Telegram (too late): logged, and the press is stored all the same.
    second = stored_id(press(2, "4002"))
    wait_until(lambda: len(answers()) == 2, what="answerCallbackQuery for the second press")
    assert answers()[1]["json"] == {"callback_query_id": "4002"}
    conv = gw.get_json("marta", f"conversations/{conv['id']}")
    assert {first, second} <= {m["id"] for m in conv["messages"]}
    # Telegram's retry of a stored press is a duplicate: answered again (the first answer may never
    # have gone out), stored once.
    r = press(2, "4002")
    assert r.status_code == 200 and r.json()["duplicates"] == 1, r.text
    wait_until(lambda: len(answers()) == 3, what="answerCallbackQuery for the retried press")
    gw.stop()
    assert "query is too old" in gw.stderr()
    assert TG_TOKEN not in gw.stderr()


def test_telegram_secret_token_is_required(gateway, receiver):
    gw = gateway({"adapters": [telegram_adapter(api_base(receiver))]}, env=TELEGRAM_ENV)
    body = corpus("social/telegram/zammad/private/text2.json")
    for secret in (None, "", TG_SECRET.lower(), TG_SECRET + "x"):
        r = post_telegram(gw, body, secret=secret)
        assert r.status_code == 401, (secret, r.text)
        assert r.json()["error"]["code"] == "bad_signature"
    assert gw.conversations() == [], "nothing stored"
    assert gw.session.get(f"{gw.url}/hooks/tg", timeout=10).status_code == 405


def test_telegram_refusal_is_permanent_and_the_token_never_logged(gateway, platform):
    fake = platform([(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})])
    gw = gateway({"adapters": [telegram_adapter(fake.url)]}, env=TELEGRAM_ENV)
    conv = gw.conversation_of(stored_id(post_telegram(gw, corpus("social/telegram/zammad/private/start2.json"))))
    out = reply(gw, conv, "Hello!")
    failed = gw.wait_delivery(conv["id"], out["id"], "failed")
    assert failed["delivery"]["attempts"] == 1, "no retries for a permanent refusal"
    assert "Forbidden: bot was blocked by the user" in failed["delivery"]["error"]
    assert len(fake.requests) == 1
    gw.stop()
    assert TG_TOKEN not in gw.stderr()
    assert TG_TOKEN not in failed["delivery"]["error"]


def test_telegram_unreachable_api_is_retried_without_leaking_the_token(gateway):
    gw = gateway({"adapters": [telegram_adapter("http://127.0.0.1:9")]}, env=TELEGRAM_ENV)
    conv = gw.conversation_of(stored_id(post_telegram(gw, corpus("social/telegram/zammad/private/start.json"))))
    out = reply(gw, conv, "Hello?")
    failed = gw.wait_delivery(conv["id"], out["id"], "failed", timeout=20)
    assert failed["delivery"]["attempts"] == 4, "transient: retried up to max_attempts"
    assert "could not reach the Telegram Bot API" in failed["delivery"]["error"]
    gw.stop()
    assert TG_TOKEN not in failed["delivery"]["error"]
    assert TG_TOKEN not in gw.stderr()


# ---------------------------------------------------------------------------------------------
# X


def x_adapter(base: str, **extra) -> dict:
    return {"id": "xdm", "type": "x", "team": "support", "api_base": base, "user_id": X_ACCOUNT,
            "consumer_secret_env": "X_SECRET", "access_token_env": "X_TOKEN", **extra}


def test_x_crc_answer_is_exact(gateway, receiver):
    gw = gateway({"adapters": [x_adapter(api_base(receiver))]}, env=X_ENV)
    [vector] = [v for v in VECTORS["x_twitter"] if "crc_request" in v]
    path_and_query = vector["crc_request"].split(" ", 1)[1]
    query = path_and_query.split("?", 1)[1]
    r = gw.session.get(f"{gw.url}/hooks/xdm?{query}", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == vector["expected_response_json"]
    assert r.content == json.dumps(vector["expected_response_json"], separators=(",", ":")).encode()
    assert gw.session.get(f"{gw.url}/hooks/xdm", timeout=10).status_code == 400


def test_x_crc_is_no_signing_oracle(gateway, receiver):
    """The attack: `GET /hooks/x?crc_token=<a DM as JSON>` answered exactly the signature X puts on
    a POST of that JSON, so anyone could forge DMs from any user id, stored and acknowledged by the
    business. Now the CRC answers X-shaped tokens only, and the forged DM gets 401."""
    gw = gateway({"adapters": [x_adapter(api_base(receiver))]}, env=X_ENV)
    forged = json.dumps({"for_user_id": X_ACCOUNT, "direct_message_events": [{
        "type": "message_create", "id": "6660000000000000001", "created_timestamp": "1576540475925",
        "message_create": {"target": {"recipient_id": X_ACCOUNT}, "sender_id": "44196397",
                           "message_data": {"text": "Please send the refund to IBAN XX00 ATTACKER"}}}]},
        separators=(",", ":")).encode()
    r = gw.session.get(f"{gw.url}/hooks/xdm", params={"crc_token": forged.decode()}, timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "malformed"
    # The only signatures a stranger can get are CRC answers of X-shaped tokens: none signs the DM.
    answer = gw.session.get(f"{gw.url}/hooks/xdm", params={"crc_token": "abcDEF123-_"}, timeout=10)
    assert answer.status_code == 200, answer.text
    r = post_x(gw, forged, signature=answer.json()["response_token"])
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature", r.text
    assert gw.conversations() == []
    assert receiver.received() == [], "no acknowledgement went out"
    # A stranger hammering the handshake is slowed down (X itself checks a few times an hour).
    statuses = [gw.session.get(f"{gw.url}/hooks/xdm", params={"crc_token": f"tok{i}"}, timeout=10).status_code
                for i in range(15)]
    assert 429 in statuses and statuses.count(200) <= 10, statuses
    limited = gw.session.get(f"{gw.url}/hooks/xdm", params={"crc_token": "again"}, timeout=10)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert metric(gw.metrics(), "switchboard_inbound_rejected_total", adapter="xdm", reason="rate_limited") >= 1


def test_x_signed_dm_is_stored_and_answered_by_dm(gateway, receiver):
    gw = gateway({"adapters": [x_adapter(api_base(receiver))]}, env=X_ENV)
    [vector] = [v for v in VECTORS["x_twitter"] if v.get("file", "").endswith("direct_message-incoming.json")]
    body = corpus(vector["file"])

    # The official vector's signature, and tampering with it.
    bad = post_x(gw, body, signature=vector["x-twitter-webhooks-signature"][:-2] + "A=")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_signature"
    assert post_x(gw, body + b" ", signature=vector["x-twitter-webhooks-signature"]).status_code == 401
    mid = stored_id(post_x(gw, body, signature=vector["x-twitter-webhooks-signature"]))

    conv = gw.conversation_of(mid)
    [msg] = [m for m in conv["messages"] if m["direction"] == "inbound"]
    assert msg["external_id"] == "1206724334791753732"
    assert msg["body"] == "Yes, you are!"
    assert conv["customer"]["name"] == "pennbrooke"
    assert {"channel": "x", "adapter": "xdm", "address": "1205290247124217856"} in conv["customer"]["identities"]

    # Our own DM echoed back and typing indicators store nothing, and the answer says why.
    for name, reason in (("direct_message-outgoing", "own_message"), ("direct_message_indicate_typing", "unsupported_event")):
        r = post_x(gw, corpus(f"social/twitter/derived_json/{name}.json"))
        assert r.status_code == 200 and r.json()["stored"] == 0, name
        assert r.json()["ignored_reasons"] == [{"count": 1, "reason": reason}], r.json()
    assert metric(gw.metrics(), "switchboard_inbound_ignored_total", adapter="xdm", reason="own_message") == 1

    out = reply(gw, conv, "Thanks! Can you DM us your order number?", in_reply_to=mid)
    gw.wait_delivery(conv["id"], out["id"], "delivered")
    [sent] = receiver.received()
    assert sent["path"] == "/2/dm_conversations/with/1205290247124217856/messages"
    assert sent["headers"]["authorization"] == f"Bearer {X_TOKEN}"
    assert sent["json"] == {"text": "Thanks! Can you DM us your order number?"}


def test_x_public_mention_is_recorded_but_not_answered_in_public(gateway, receiver):
    gw = gateway({"adapters": [x_adapter(api_base(receiver))]}, env=X_ENV)
    mention = stored_id(post_x(gw, corpus("social/twitter/derived_json/tweet_create-user_mention.json")))
    conv = gw.conversation_of(mention)
    assert gw.find_message(conv["id"], mention)["metadata"]["public"] == "true"
    r = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "Hi!", "in_reply_to": mention})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "refused_by_channel"
    assert "never answered in public" in r.json()["error"]["message"]
    assert receiver.received() == []

    # A DM from the same person lands in the same conversation and can be answered privately.
    dm = stored_id(post_x(gw, corpus("social/twitter/derived_json/direct_message-incoming_2.json")))
    assert gw.conversation_of(dm)["id"] == conv["id"]
    out = reply(gw, conv, "Answering in private", in_reply_to=dm)
    gw.wait_delivery(conv["id"], out["id"], "delivered")
    assert receiver.received()[0]["path"] == "/2/dm_conversations/with/1205290247124217856/messages"


# ---------------------------------------------------------------------------------------------
# Twilio SMS


def twilio_adapter(base: str, **extra) -> dict:
    return {"id": "sms", "type": "twilio-sms", "team": "support", "api_base": base, "account_sid": TW_SID,
            "auth_token_env": "TWILIO_TOKEN", "from": TW_FROM, **extra}


def test_twilio_sms_and_whatsapp_style_identity_are_one_customer(gateway, receiver):
    whatsapp_like = {"id": "wa-bridge", "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
                     "identity": "phone", "outbound": {"url": receiver.url}}
    gw = gateway({"server": {"public_url": PUBLIC_URL},
                  "adapters": [twilio_adapter(api_base(receiver)), whatsapp_like]}, env=TWILIO_ENV)

    first = stored_id(post_twilio(gw, sms("SMe2e0001", "+34600111222", "Hola, mi pedido no llegó")))
    second = stored_id(post_twilio(gw, sms("SMe2e0002", "0034 600 111 222", "¿Alguien? 50% & más")))
    # WhatsApp ids are the international number without the plus.
    third = gw.post_hook("wa-bridge", {"id": "wamid.e2e1", "from": "34600111222", "text": "also on WhatsApp"})
    assert third.status_code == 200, third.text

    [conv] = gw.conversations()
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    bodies = [m["body"] for m in detail["messages"] if m["direction"] == "inbound"]
    assert bodies == ["Hola, mi pedido no llegó", "¿Alguien? 50% & más", "also on WhatsApp"]
    assert detail["customer"]["contacts"] == 3
    assert {i["address"] for i in detail["customer"]["identities"]} == {"+34600111222"}
    assert gw.find_message(conv["id"], first)["external_id"] == "SMe2e0001"
    assert gw.find_message(conv["id"], second)["channel"] == "phone"

    # The agent answers by SMS: Twilio gets E.164, Basic auth and a status callback to this hook.
    out = reply(gw, detail, "Lo revisamos ahora mismo", via="sms")
    gw.wait_delivery(conv["id"], out["id"], "sent")
    [sent] = receiver.received()
    assert sent["path"] == f"/2010-04-01/Accounts/{TW_SID}/Messages.json"
    assert sent["headers"]["authorization"] == "Basic " + base64.b64encode(f"{TW_SID}:{TW_TOKEN}".encode()).decode()
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(sent["body"].decode(), keep_blank_values=True) == {
        "To": ["+34600111222"], "From": [TW_FROM], "Body": ["Lo revisamos ahora mismo"],
        "StatusCallback": [f"{PUBLIC_URL}/hooks/sms"]}


def test_twilio_signature_is_over_the_public_url(gateway, receiver):
    gw = gateway({"server": {"public_url": PUBLIC_URL}, "adapters": [twilio_adapter(api_base(receiver))]},
                 env=TWILIO_ENV)
    params = sms("SMe2e0100", "+34600999888", "hello")
    for signature in ("", twilio_signature(f"{gw.url}/hooks/sms", params),  # the local URL is not what Twilio calls
                      twilio_signature(f"{PUBLIC_URL}/hooks/sms", params, token="wrong")):
        r = post_twilio(gw, params, signature=signature)
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "bad_signature"
    assert gw.conversations() == []

    # The corpus MMS, re-signed for this gateway's public URL: media arrive as attachments.
    pairs = urllib.parse.parse_qsl(corpus("social/twilio_sms/constructed/inbound_mms_two_media.form").decode(),
                                   keep_blank_values=True)
    mid = stored_id(post_twilio(gw, pairs))
    conv = gw.conversation_of(mid)
    mms = gw.find_message(conv["id"], mid)
    assert mms["body"] == "Here are the photos of the damage"
    assert [a["mime_type"] for a in mms["attachments"]] == ["image/jpeg", "image/png"]
    assert all(a["url"].startswith("https://api.twilio.com/") for a in mms["attachments"])


def test_twilio_status_callback_and_refusal(gateway, platform):
    fake = platform([(201, {"sid": "SMreply0001", "status": "queued"}),
                     (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400})])
    gw = gateway({"server": {"public_url": PUBLIC_URL}, "adapters": [twilio_adapter(fake.url)]}, env=TWILIO_ENV)
    mid = stored_id(post_twilio(gw, sms("SMe2e0200", "+34600222333", "status please")))
    conv = gw.conversation_of(mid)

    out = reply(gw, conv, "Your parcel is on its way")
    gw.wait_delivery(conv["id"], out["id"], "sent")
    callback = [("SmsSid", "SMreply0001"), ("SmsStatus", "delivered"), ("MessageStatus", "delivered"),
                ("To", "+34600222333"), ("MessageSid", "SMreply0001"), ("AccountSid", TW_SID), ("From", TW_FROM),
                ("ApiVersion", "2010-04-01")]
    r = post_twilio(gw, callback)
    assert r.status_code == 200 and r.json()["stored"] == 0, r.text
    assert r.json()["status_updates"] == 1 and r.json()["ignored"] == 0, r.json()
    delivered = gw.wait_delivery(conv["id"], out["id"], "delivered")
    assert delivered["external_id"] == "SMreply0001"
    # An intermediate status carries no news: not stored, and said so.
    sending = [(k, "sending" if k in ("SmsStatus", "MessageStatus") else v) for k, v in callback]
    r = post_twilio(gw, sending)
    assert r.status_code == 200 and r.json()["ignored_reasons"] == [{"count": 1, "reason": "intermediate_status"}], r.text

    # Unsubscribed (STOP): failed at once with Twilio's reason, never retried.
    refused = reply(gw, conv, "One more thing")
    failed = gw.wait_delivery(conv["id"], refused["id"], "failed")
    assert failed["delivery"]["attempts"] == 1
    assert "21610" in failed["delivery"]["error"] and "unsubscribed" in failed["delivery"]["error"]
    assert len(fake.requests) == 2
