"""The conversation pane in real headless Chromium (selenium + Debian's chromedriver): a long thread
opens on its newest page and loads older messages when the agent scrolls to the top, keeping what
they were reading in place (and a search result pages back to its message); on an e-mail conversation the reply box shows whom the reply copies as
chips (the participants), which the agent removes and adds to, and the reply goes out to exactly
those over SMTP (the suite's aiosmtpd server); a participant is split off from the customer card.

Screenshots land in e2e/artifacts/ for a person to look at."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import unique, wait_until
from test_console import browser, css, screenshot, set_password, sign_in, wait  # noqa: F401  (browser is a fixture)
from test_email import ADDRESS, SLOW, compose, deliver_by_hook, mail_gateway, wait_inbound


def thread_ids(driver):
    return driver.execute_script("return Array.from(document.querySelectorAll('#thread .msg'), e => Number(e.dataset.id))")


def test_scrolling_to_the_top_loads_older_messages_and_keeps_the_place(gateway, browser):
    gw = gateway()
    customer = unique("long") + "@example.com"
    first = gw.ingest(unique("m"), customer, "message 0")
    cid = gw.conversation_of(first)["id"]
    for i in range(1, 120):
        gw.ingest(unique("m"), customer, f"message {i}")
    whole = [m["id"] for m in gw.get_json("marta", f"conversations/{cid}")["messages"]]
    assert len(whole) > 100

    set_password(gw, "marta")
    sign_in(browser, gw, "marta")
    browser.get(f"{gw.url}/#/c/{cid}")
    wait(browser, lambda d: len(thread_ids(d)) == 50, what="the newest page")
    assert thread_ids(browser) == whole[-50:]
    assert css(browser, "#load-older").is_displayed()
    # Opened at the bottom: the newest message is in view.
    assert browser.execute_script("const t = document.getElementById('thread'); return t.scrollHeight - t.scrollTop - t.clientHeight < 40")

    # Scroll to the top: the page before comes in above, and the message that was at the top stays where it was.
    top = whole[-50]
    before = browser.execute_script("""const t = document.getElementById('thread');
        t.scrollTop = 0; const m = t.querySelector(`[data-id="${arguments[0]}"]`);
        return m.getBoundingClientRect().top - t.getBoundingClientRect().top;""", top)
    wait(browser, lambda d: len(thread_ids(d)) == 100, what="the older page")
    assert thread_ids(browser) == whole[-100:]
    after = browser.execute_script("""const t = document.getElementById('thread');
        const m = t.querySelector(`[data-id="${arguments[0]}"]`);
        return m.getBoundingClientRect().top - t.getBoundingClientRect().top;""", top)
    assert abs(after - before) < 5, (before, after)
    screenshot(browser, "console-thread-older.png")

    # Up to the first message; then there is nothing older to load.
    browser.execute_script("document.getElementById('thread').scrollTop = 0")
    wait(browser, lambda d: thread_ids(d) == whole, what="the whole thread")
    wait(browser, lambda d: not css(d, "#load-older").is_displayed(), what="no more older messages")

    # A live message still arrives at the bottom, older pages kept.
    gw.ingest(unique("m"), customer, "message 120")
    wait(browser, lambda d: len(thread_ids(d)) == len(whole) + 1, what="the new message")

    # More than a page arrives at once: scrolling up still shows every message once, with no gap.
    last = None
    for i in range(121, 181):
        last = gw.ingest(unique("m"), customer, f"message {i}")
    wait(browser, lambda d: last in thread_ids(d), what="the burst's last message")
    server = [m["id"] for m in gw.get_json("marta", f"conversations/{cid}")["messages"]]

    def scrolled_to_start(d):
        d.execute_script("document.getElementById('thread').scrollTop = 0")
        return not css(d, "#load-older").is_displayed() and thread_ids(d) == server
    wait(browser, scrolled_to_start, what="the whole thread after the burst")

    # A search result pointing pages back opens the conversation at that message.
    browser.get(f"{gw.url}/#/")
    wait(browser, lambda d: css(d, "#inbox-list[data-loaded]"), what="the inbox")
    browser.get(f"{gw.url}/#/c/{cid}/m/{whole[3]}")
    wait(browser, lambda d: css(d, f'#thread li.target[data-id="{whole[3]}"]'), what="the old message marked")


def test_the_reply_box_shows_whom_the_reply_copies_and_the_agent_changes_it(gateway, smtp_sink, browser):
    gw = mail_gateway(gateway, smtp_sink.url)
    domain = unique("team") + ".example"
    raw, mid = compose(f"Ana Puig <ana@{domain}>", "Our order", "Where is our order?",
                       to=f"Support <{ADDRESS}>, Bob <bob@{domain}>", headers={"Cc": f"carol@{domain}"})
    deliver_by_hook(gw, raw)
    conversation, _ = wait_inbound(gw, mid)
    cid, owner = conversation["id"], conversation["owner"]
    set_password(gw, owner)
    sign_in(browser, gw, owner)
    browser.get(f"{gw.url}/#/c/{cid}")

    def chips(d):
        return d.execute_script("return Array.from(document.querySelectorAll('#reply-cc-chips .chip'), c => c.dataset.address)")

    wait(browser, lambda d: chips(d) == [f"bob@{domain}", f"carol@{domain}"], what="the participants as chips")
    assert f"bob@{domain}" in browser.find_element(By.ID, "card-participants").text
    # Remove Bob; add Dan by typing his address and Enter.
    browser.find_element(By.CSS_SELECTOR, f'#reply-cc-chips .chip[data-address="bob@{domain}"] .chip-remove').click()
    wait(browser, lambda d: chips(d) == [f"carol@{domain}"], what="Bob removed")
    field = browser.find_element(By.ID, "reply-cc-input")
    field.send_keys(f"dan@{domain}", Keys.ENTER)
    wait(browser, lambda d: chips(d) == [f"carol@{domain}", f"dan@{domain}"], what="Dan added")
    # Not an address: said at once, nothing added.
    browser.find_element(By.ID, "reply-cc-input").send_keys("not-an-address", Keys.ENTER)
    wait(browser, lambda d: d.find_element(By.ID, "reply-cc-error").text, what="the refusal")
    assert chips(browser) == [f"carol@{domain}", f"dan@{domain}"]
    browser.find_element(By.ID, "reply-cc-input").clear()
    screenshot(browser, "console-reply-cc.png")

    browser.find_element(By.ID, "reply-body").send_keys("Copying Carol and Dan.")
    browser.find_element(By.ID, "reply-send").click()
    sent = wait_until(lambda: next((m for m in smtp_sink.messages() if b"Copying Carol and Dan." in m.raw), None), SLOW,
                      what="the reply at the SMTP server")
    assert sorted(a.lower() for a in sent.rcpt_tos) == [f"ana@{domain}", f"carol@{domain}", f"dan@{domain}"]
    # The next reply starts again from the default.
    wait(browser, lambda d: chips(d) == [f"bob@{domain}", f"carol@{domain}"], what="the default again")

    # Splitting Bob off the conversation: gone from the card, and from what the address field offers.
    # The card re-renders when the reply's delivery events arrive, which can replace the button between
    # finding and clicking it: click it as it is then (``wait`` looks again on a stale element).
    split = f'#card-participants li[data-address="bob@{domain}"] .participant-split'
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, split).click() or True, what="Bob's split button clicked")
    wait(browser, lambda d: not css(d, f'#card-participants li[data-address="bob@{domain}"]'), what="Bob split off")
    assert [p["address"] for p in gw.get_json(owner, f"conversations/{cid}")["participants"]] == [f"carol@{domain}"]


def test_a_chat_conversation_has_no_copies(gateway, browser):
    gw = gateway()
    first = gw.ingest(unique("m"), unique("chat") + "@example.com", "hello")
    conversation = gw.conversation_of(first)
    set_password(gw, conversation["owner"])
    sign_in(browser, gw, conversation["owner"])
    browser.get(f"{gw.url}/#/c/{conversation['id']}")
    wait(browser, lambda d: css(d, "#reply-via-hint") and d.find_element(By.ID, "reply-via-hint").text, what="the reply box")
    assert not css(browser, "#reply-cc").is_displayed()
