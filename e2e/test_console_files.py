"""The reply box in a real Chromium: an agent attaches a file (picker; the same path takes dropped
files), sees it as a chip with the channel's limits, sends it, and sees it delivered in the thread;
the receiver gets exactly the file's bytes. A channel with templates offers them with the text
filled in as the agent types the parameters."""

from __future__ import annotations

import base64
import time

from selenium.webdriver.common.by import By

from conftest import unique
from test_console import browser, console_gateway, css, set_password, shop, sign_in, wait  # noqa: F401 (fixtures)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def open_conversation(browser, gw, cid):
    browser.find_element(By.CSS_SELECTOR, f'#inbox-list a[data-id="{cid}"]').send_keys("\n")
    wait(browser, lambda d: css(d, "#reply-file-limits"), what="the reply box")


def test_agent_attaches_a_file_sends_it_and_sees_it_delivered(gateway, receiver, shop, browser, tmp_path):  # noqa: F811
    gw = console_gateway(gateway, shop)
    email = unique("iris") + "@example.com"
    conv = gw.conversation_of(gw.ingest(unique("m"), email, "Can you send me the invoice?", name="Iris Mora"))
    cid, owner = conv["id"], conv["owner"]
    set_password(gw, owner)
    sign_in(browser, gw, owner)
    wait(browser, lambda d: css(d, f'#inbox-list a[data-id="{cid}"]'), what="the conversation")
    open_conversation(browser, gw, cid)

    # The limits of the channel show before anything is attached.
    limits = wait(browser, lambda d: d.find_element(By.ID, "reply-file-limits").text, what="the limits")
    assert "up to 5 per reply" in limits and "Webhook files up to 10 MB" in limits, limits

    invoice = tmp_path / "Factura 2026-17.pdf"
    invoice.write_bytes(PDF)
    picker = browser.find_element(By.ID, "reply-files")
    picker.send_keys(str(invoice))
    chip = wait(browser, lambda d: css(d, "#reply-file-chips .file-chip[data-upload]"), what="the uploaded file's chip")
    assert "Factura 2026-17.pdf" in chip.text
    browser.find_element(By.ID, "reply-body").send_keys("Here it is, Iris.")
    browser.find_element(By.ID, "reply-send").click()

    wait(browser, lambda d: css(d, '#thread .msg-outbound .delivery-state[data-state="delivered"]'), what="delivered")
    link = wait(browser, lambda d: css(d, "#thread .msg-outbound .attachment-download"), what="the file in the thread")
    assert link.text == "Factura 2026-17.pdf"
    assert browser.find_elements(By.CSS_SELECTOR, "#reply-file-chips .file-chip") == [], "the box is empty again"
    [sent] = [r for r in receiver.received() if r["json"] and r["json"].get("attachments")]
    assert sent["json"]["text"] == "Here it is, Iris."
    [file] = sent["json"]["attachments"]
    assert file["file_name"] == "Factura 2026-17.pdf" and file["mime_type"] == "application/pdf"
    assert base64.b64decode(file["content_base64"]) == PDF

    # A file the channel refuses: the chip never appears for an empty file, and the reason shows.
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    browser.find_element(By.ID, "reply-files").send_keys(str(empty))
    error = wait(browser, lambda d: d.find_element(By.ID, "reply-error").text, what="the refusal")
    assert "empty" in error


def test_agent_sends_a_template_outside_the_window_with_its_text_filled_in(gateway, browser):  # noqa: F811
    from test_outbound_files import ENV, META_SECRET, PHONE_NUMBER_ID, Platforms, whatsapp_message
    from conftest import sign
    import json

    platforms = Platforms()
    try:
        gw = gateway({"adapters": [{
            "id": "wa", "type": "whatsapp", "team": "support", "api_base": platforms.base, "phone_number_id": PHONE_NUMBER_ID,
            "access_token_env": "META_ACCESS_TOKEN", "app_secret_env": "META_APP_SECRET", "verify_token_env": "META_VERIFY_TOKEN",
            "templates": [{"name": "order_update", "language": "es", "text": "Hola {{1}}, tu pedido {{2}} está en camino."}]}]},
            env=ENV)
        body = whatsapp_message("34677666555", sent=int(time.time()) - 26 * 3600)
        r = gw.post_hook("wa", raw=body, secret=None, headers={"X-Hub-Signature-256": sign(META_SECRET, body)})
        assert r.status_code == 200, r.text
        conv = gw.conversation_of(r.json()["messages"][0])
        cid, owner = conv["id"], conv["owner"]
        set_password(gw, owner)
        sign_in(browser, gw, owner)
        wait(browser, lambda d: css(d, f'#inbox-list a[data-id="{cid}"]'), what="the conversation")
        open_conversation(browser, gw, cid)

        hint = wait(browser, lambda d: d.find_element(By.ID, "reply-via-hint").text, what="the window hint")
        assert "approved message templates" in hint
        wait(browser, lambda d: d.find_element(By.ID, "reply-template-row").is_displayed(), what="the template picker")
        browser.execute_script("""const s = document.getElementById('reply-template');
            s.value = '0'; s.dispatchEvent(new Event('change'));""")
        wait(browser, lambda d: css(d, "#template-param-2"), what="the parameters")
        browser.find_element(By.ID, "template-param-1").send_keys("Ana")
        browser.find_element(By.ID, "template-param-2").send_keys("SB-1042")
        preview = browser.find_element(By.ID, "reply-template-preview").text
        assert preview == "Hola Ana, tu pedido SB-1042 está en camino."
        browser.find_element(By.ID, "reply-send").click()
        wait(browser, lambda d: css(d, '#thread .msg-outbound .delivery-state[data-state="sent"]'), what="sent")
        bodies = browser.execute_script(
            "return Array.from(document.querySelectorAll('#thread .msg-outbound .body'), e => e.innerText.trim())")
        assert bodies == ["Hola Ana, tu pedido SB-1042 está en camino."]
        [sent] = platforms.received(f"/v21.0/{PHONE_NUMBER_ID}/messages")
        assert json.loads(sent["body"])["template"]["components"][0]["parameters"] == [
            {"type": "text", "text": "Ana"}, {"type": "text", "text": "SB-1042"}]
    finally:
        platforms.close()
