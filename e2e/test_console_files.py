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
