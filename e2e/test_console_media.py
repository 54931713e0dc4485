"""The console shows what customers send besides text, in a real Chromium: a WhatsApp photo appears
in the thread once the gateway has fetched it (live, on `attachment.updated`, without a reload), as an
image served by the gateway itself, never hot-linked from the platform; a shared location shows its
coordinates and a map link, a shared contact its name and number."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from selenium.webdriver.common.by import By

from test_console import browser, css, screenshot, set_password, sign_in, wait  # noqa: F401 (fixture)
from test_inbound_media import CORPUS, media, message_of, serve_whatsapp, wa_gateway  # noqa: F401 (fixture)
from test_social_meta import post_meta


def png(width: int = 24, height: int = 16) -> bytes:
    """A real PNG (an orange rectangle), so the browser can decode and size it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xff\x88\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def corpus_payload(name: str, wamid: str) -> bytes:
    return (CORPUS / f"social/whatsapp/pywa_split/{name}.json").read_bytes().replace(b"wamid.xyzxyz", wamid.encode())


def test_a_received_photo_is_visible_in_the_thread(gateway, media, browser):  # noqa: F811
    # The platform is down when the photo arrives: the agent sees it coming, then sees it.
    gw = wa_gateway(gateway, media, delivery={"first_retry": "300ms", "max_backoff": "600ms", "max_attempts": 1000})
    photo = png()
    serve_whatsapp(media, "65463453", photo, "image/png", fail=1_000_000)
    r = post_meta(gw, "wa", corpus_payload("message__image", "wamid.photo1"))
    assert r.status_code == 200, r.text
    [photo_id] = r.json()["messages"]
    for name, wamid in (("message__chosen_location", "wamid.place1"), ("message__contacts", "wamid.card1")):
        assert post_meta(gw, "wa", corpus_payload(name, wamid)).status_code == 200
    conv, _ = message_of(gw, photo_id)
    set_password(gw, conv["owner"])

    sign_in(browser, gw, conv["owner"])
    browser.get(f"{gw.url}/#/c/{conv['id']}")
    item = f'#thread li[data-id="{photo_id}"]'
    wait(browser, lambda d: css(d, f"{item} .attachment.fetching"), what="the photo being fetched")
    assert "[photo]" in browser.find_element(By.CSS_SELECTOR, f"{item} .body").text
    browser.execute_script("window.__noReload = 7;")

    media.heal("/v21.0/65463453")
    image = wait(browser, lambda d: css(d, f"{item} img.attachment-image"), what="the photo in the thread")
    loaded = wait(browser, lambda d: d.execute_script(
        "const i = document.querySelector(arguments[0]); return i && i.complete && i.naturalWidth > 0 ? "
        "{w: i.naturalWidth, h: i.naturalHeight, src: i.src} : null;", f"{item} img.attachment-image"), what="the photo decoded")
    assert (loaded["w"], loaded["h"]) == (24, 16)
    # Served by the gateway (the download endpoint), never from the platform's URL.
    assert loaded["src"] == f"{gw.url}/api/v1/messages/{photo_id}/attachments/0", loaded
    assert browser.execute_script("return window.__noReload") == 7, "updated live, without a reload"
    assert image is not None

    # The location and the contact card of the same customer, in the same thread.
    place = browser.find_element(By.CSS_SELECTOR, "#thread .attachment-location")
    assert "37.46120, -122.21644" in place.text and "Facebook HQ" in place.text
    assert "openstreetmap.org" in place.find_element(By.CSS_SELECTOR, "a.map-link").get_attribute("href")
    card = browser.find_element(By.CSS_SELECTOR, "#thread .attachment-contact")
    assert "Chandler Bing" in card.text and "+1 555-555-5555" in card.text
    browser.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", f"{item} img.attachment-image")
    screenshot(browser, "console-media.png")


def test_telegram_button_presses_and_reactions_are_recorded_and_a_reaction_shows_on_the_reply(gateway, browser):  # noqa: F811
    import json

    from test_social_others import PlatformFake, TELEGRAM_ENV, post_telegram, telegram_adapter

    chat = 111111
    api = PlatformFake([(200, {"ok": True, "result": {"message_id": 77, "date": 1, "chat": {"id": chat, "type": "private"}}})])
    try:
        gw = gateway({"adapters": [telegram_adapter(api.url)]}, env=TELEGRAM_ENV)
        user = {"id": chat, "first_name": "Tess", "username": "tess"}
        r = post_telegram(gw, json.dumps({"update_id": 1, "message": {
            "message_id": 5, "date": 1718000000, "chat": {"id": chat, "type": "private"}, "from": user,
            "text": "Where is my parcel?"}}).encode())
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text
        conv = gw.conversation_of(r.json()["messages"][0])
        out = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "On its way!"})
        assert out.status_code == 202, out.text
        reply = gw.wait_delivery(conv["id"], out.json()["id"], "delivered")
        assert reply["external_id"] == f"{chat}:77"

        r = post_telegram(gw, json.dumps({"update_id": 2, "message_reaction": {
            "chat": {"id": chat, "type": "private"}, "message_id": 77, "user": user, "date": 1718000100,
            "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}}).encode())
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text
        r = post_telegram(gw, json.dumps({"update_id": 3, "callback_query": {
            "id": "9001", "from": user, "chat_instance": "1", "data": "track_order",
            "message": {"message_id": 77, "date": 1, "chat": {"id": chat, "type": "private"}, "text": "On its way!"}}}).encode())
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text

        detail = gw.get_json("marta", f"conversations/{conv['id']}")
        lines = [(m["direction"], m["body"]) for m in detail["messages"] if m.get("metadata", {}).get("telegram_update")]
        # The customer's activity: in the thread, but no new request (nothing reopens, no clock).
        assert lines == [("event", "[reaction 👍]"), ("event", "[button pressed: track_order]")], lines
        assert detail["customer"]["contacts"] == 1

        set_password(gw, conv["owner"])
        sign_in(browser, gw, conv["owner"])
        browser.get(f"{gw.url}/#/c/{conv['id']}")
        badge = wait(browser, lambda d: css(d, f'#thread li[data-id="{reply["id"]}"] .reactions .reaction'),
                     what="the reaction on the reply")
        assert badge.text == "👍"
    finally:
        api.close()
