"""The agent's day in real headless Chromium: find a message by a word from last month (history made by
`switchboard generate-history`) and open it in its thread; insert a saved reply with `/`, fill in
what it could not, and send it; a mention is a desktop notification.

Screenshots land in e2e/artifacts/ for a person to look at."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import BIN, unique
from test_console import (  # noqa: F401  (browser and shop are fixtures)
    browser, console_gateway, css, make_browser, message_bodies, screenshot, set_password, shop, sign_in, wait)
from test_console_workspace import NOTIFICATION_SPY, displayed, press


def test_find_a_message_from_last_month_and_open_it_in_its_thread(gateway, shop, browser):
    gw = console_gateway(gateway, shop)
    gw.stop()
    out = subprocess.run([BIN, "generate-history", "--config", str(gw.config_path), "--messages", "3000", "--days", "60",
                          "--adapters", "shop-chat:chat,mail:email"], env=gw.env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    gw.start()
    now = time.time()
    with sqlite3.connect(gw.db_path) as db:
        message_id, conversation_id, body = db.execute(
            "SELECT m.id, m.conversation_id, m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE m.direction = 'inbound' AND c.owner = 'ana' AND m.created_at BETWEEN ? AND ? AND m.body LIKE '%A-%' "
            "ORDER BY m.id LIMIT 1", (now - 40 * 86400, now - 25 * 86400)).fetchone()
        later = db.execute("SELECT count(*) FROM messages WHERE conversation_id = ? AND id > ?", (conversation_id, message_id)).fetchone()[0]
    order = re.search(r"A-\d{6}", body).group(0)
    set_password(gw, "ana")
    sign_in(browser, gw, "ana")

    press(browser, "/")
    wait(browser, lambda d: d.execute_script("return document.activeElement.id") == "search", what="the search box")
    press(browser, order)
    result = wait(browser, lambda d: css(d, f'#search-results a.search-result[data-message="{message_id}"]'), what="the result")
    marks = [m.text for m in result.find_elements(By.CSS_SELECTOR, "mark")]
    assert order in " ".join(marks) or {"A", order[2:]} <= set(marks), marks
    assert not displayed(browser, "#inbox-list"), "results take the inbox's place"
    # Narrowed to the last 90 days, ordered by relevance: still there.
    browser.find_element(By.CSS_SELECTOR, "#search-filters summary").click()
    browser.find_element(By.CSS_SELECTOR, "#search-period option[value='d90']").click()
    wait(browser, lambda d: css(d, f'#search-results a.search-result[data-message="{message_id}"]'), what="the result, filtered")
    screenshot(browser, "console-search-results.png")

    css(browser, f'#search-results a.search-result[data-message="{message_id}"]').click()
    wait(browser, lambda d: d.execute_script("return location.hash") == f"#/c/{conversation_id}/m/{message_id}",
         what="the message's address")
    target = wait(browser, lambda d: css(d, f'#thread li.msg.target[data-id="{message_id}"]'), what="the message marked in its thread")
    assert order in target.text
    assert browser.execute_script("return document.activeElement.dataset.id") == str(message_id), "the found message has the focus"
    if later:
        # The thread goes on after it, yet the found message is what is in view.
        assert browser.execute_script(
            "const t = document.getElementById('thread'), m = t.querySelector('li.target');"
            "const a = t.getBoundingClientRect(), b = m.getBoundingClientRect(); return b.top >= a.top && b.bottom <= a.bottom + 1")
    screenshot(browser, "console-search-opened.png")
    # Back to the inbox.
    browser.find_element(By.ID, "search-close").click()
    wait(browser, lambda d: displayed(d, "#inbox-list"), what="the inbox again")


def test_insert_a_saved_reply_with_slash(gateway, receiver, shop, browser):
    gw = console_gateway(gateway, shop)
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("olga") + "@example.com", "Where is my order?", name="Olga Ruiz"))
    cid, owner = conv["id"], conv["owner"]
    r = gw.api("marta", "POST", "canned-responses", json={
        "shortcut": "status", "title": "Order status", "scope": "everyone",
        "body": "Hi {customer.first_name}, order {context.shop.orders.0.id} is {context.shop.orders.0.state}. Code: {context.shop.coupon}"})
    assert r.status_code == 201, r.text
    gw.api("marta", "POST", "canned-responses", json={"shortcut": "sorry", "title": "Apology", "scope": "everyone", "body": "Sorry!"})
    set_password(gw, owner)
    sign_in(browser, gw, owner)
    browser.get(f"{gw.url}/#/c/{cid}")
    box = wait(browser, lambda d: css(d, "#reply-body"), what="the reply box")
    box.click()
    box.send_keys("/sta")
    wait(browser, lambda d: displayed(d, "#saved-reply-picker"), what="the saved replies")

    def shortcuts(d):
        # The picker is drawn again after each key: read it whole, again if it was redrawn meanwhile.
        try:
            return [o.get_attribute("data-shortcut") for o in d.find_elements(By.CSS_SELECTOR, "#saved-reply-picker li.saved-reply")]
        except StaleElementReferenceException:
            return None

    wait(browser, lambda d: shortcuts(d) == ["status"], what="only the matching saved reply offered")
    screenshot(browser, "console-saved-reply-picker.png")
    box.send_keys(Keys.ENTER)
    wait(browser, lambda d: "Hi Olga" in d.find_element(By.ID, "reply-body").get_attribute("value"), what="the reply filled in")
    value = browser.find_element(By.ID, "reply-body").get_attribute("value")
    assert value == "Hi Olga, order A-1001 is shipped. Code: ⟦context.shop.coupon⟧"
    missing = wait(browser, lambda d: displayed(d, "#saved-reply-missing"), what="the missing value flagged")
    assert "context.shop.coupon" in missing.text
    # The gap is selected: typing fills it. Sending with a gap is refused before anything goes out.
    browser.find_element(By.ID, "reply-send").click()
    error = wait(browser, lambda d: d.find_element(By.ID, "reply-error").text, what="the refusal")
    assert "context.shop.coupon" in error
    assert not [m for m in gw.get_json("marta", f"conversations/{cid}")["messages"] if m["direction"] == "outbound"]
    box = browser.find_element(By.ID, "reply-body")
    browser.execute_script(
        "const b = arguments[0], i = b.value.indexOf('⟦'); b.focus(); b.setSelectionRange(i, b.value.indexOf('⟧') + 1);", box)
    box.send_keys("SPRING10")
    wait(browser, lambda d: not displayed(d, "#saved-reply-missing"), what="nothing left to fill")
    browser.find_element(By.ID, "reply-send").click()
    wait(browser, lambda d: "Hi Olga, order A-1001 is shipped. Code: SPRING10" in message_bodies(d, "outbound"), what="the reply sent")
    assert receiver.received()[-1]["json"]["text"] == "Hi Olga, order A-1001 is shipped. Code: SPRING10"
    # The button lists them all for the mouse.
    browser.find_element(By.ID, "saved-replies-button").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#saved-reply-picker li.saved-reply")) == 2, what="both saved replies")


def test_a_mention_is_a_desktop_notification(gateway, shop, browser):
    gw = console_gateway(gateway, shop)
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "Help!", name="Iris Sanz"))
    cid, owner = conv["id"], conv["owner"]
    colleague = "luis" if owner == "ana" else "ana"
    set_password(gw, colleague)
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": gw.url, "permissions": ["notifications"]})
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NOTIFICATION_SPY})
    sign_in(browser, gw, colleague)
    r = gw.api(owner, "POST", f"conversations/{cid}/notes", json={"body": f"@{colleague} can you call Iris?"})
    assert r.status_code == 201
    notes = wait(browser, lambda d: [n for n in d.execute_script("return window.__notifications") if "mentioned you" in n["title"]],
                 what="the mention notification")
    assert notes[0]["title"] == f"{owner} mentioned you in a note" and notes[0]["body"] == f"@{colleague} can you call Iris?"
    # The mentions page lists it; it opens the conversation at the note, which he may read.
    browser.find_element(By.ID, "nav-mentions").click()
    link = wait(browser, lambda d: css(d, "#mentions-list a.mention-link"), what="the mentions list")
    link.click()
    wait(browser, lambda d: css(d, f'#thread li.msg.target[data-id="{r.json()["id"]}"]'), what="the note in its thread")
    assert "can you call Iris?" in " ".join(message_bodies(browser, "note"))
