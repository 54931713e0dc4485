"""The console built for speed, in real headless Chromium (selenium + Debian's chromedriver): two agents
on one conversation see each other typing and a late reply warns before sending, keyboard-only triage
of three conversations, a desktop notification and unread markers on a new message, the header's
status and language switches (kept per agent), and three / two / one panes at three window widths.

Screenshots land in e2e/artifacts/ for a person to look at."""

from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import unique, wait_until
from test_console import (  # noqa: F401  (browser and shop are fixtures)
    browser, console_gateway, css, make_browser, message_bodies, screenshot, set_password, shop, sign_in, wait)

# Records every notification the page shows (the real one is still created), installed before any
# script of the page runs.
NOTIFICATION_SPY = """
window.__notifications = [];
const Original = window.Notification;
class Recorded extends Original {
  constructor(title, options = {}) {
    window.__notifications.push({title, body: options.body || '', tag: options.tag || ''});
    super(title, options);
  }
}
Object.defineProperty(Recorded, 'permission', {get: () => Original.permission});
window.Notification = Recorded;
"""


def press(driver, *keys):
    """Types into whatever has the focus, as a keyboard would: no element is clicked."""
    ActionChains(driver).send_keys(*keys).perform()


def press_ctrl_enter(driver):
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()


def open_in(driver, gw, cid):
    driver.get(f"{gw.url}/#/c/{cid}")
    wait(driver, lambda d: css(d, "#reply-body") and css(d, "#thread .msg"), what=f"conversation {cid}")


def displayed(driver, selector):
    found = css(driver, selector)
    return found if found is not None and found.is_displayed() else None


def focused_id(driver):
    return driver.execute_script("return document.activeElement && document.activeElement.id")


def shown_conversation(driver):
    return driver.execute_script("const m = location.hash.match(/^#\\/c\\/(\\d+)$/); return m ? Number(m[1]) : null")


def outbound(gw, cid):
    return [m for m in gw.get_json("marta", f"conversations/{cid}")["messages"] if m["direction"] == "outbound"]


# ---------------------------------------------------------------------------------------------


def test_two_agents_see_each_other_typing_and_a_late_reply_warns(gateway, receiver, shop):
    gw = console_gateway(gateway, shop)
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("olga") + "@example.com", "Is my refund on its way?", name="Olga Ruiz"))
    cid, owner = conv["id"], conv["owner"]
    owner_name = {"ana": "Ana García", "luis": "Luis Pérez"}[owner]
    for agent in (owner, "marta"):
        set_password(gw, agent)
    mine, hers = make_browser(), make_browser()
    try:
        sign_in(mine, gw, owner)
        sign_in(hers, gw, "marta")
        open_in(mine, gw, cid)
        open_in(hers, gw, cid)
        # Each sees the other reading.
        wait(mine, lambda d: displayed(d, '#viewers [data-agent="marta"][data-state="viewing"]'), what="Marta viewing")
        seen = wait(hers, lambda d: displayed(d, f'#viewers [data-agent="{owner}"][data-state="viewing"]'), what="the owner viewing")
        assert seen.text == f"{owner_name} is viewing this conversation"

        # Marta starts a reply: the owner reads that she is typing.
        hers.find_element(By.ID, "reply-body").send_keys("Let me check with billing")
        typing = wait(mine, lambda d: displayed(d, '#viewers [data-agent="marta"][data-state="typing"]'), what="Marta typing")
        assert typing.text == "Marta Ruiz is typing a reply…"
        screenshot(mine, "console-someone-typing.png")

        # The owner starts one too; Marta's goes out first. The owner is warned before anything is sent.
        mine.find_element(By.ID, "reply-body").send_keys("Your refund left this morning")
        wait(hers, lambda d: displayed(d, f'#viewers [data-agent="{owner}"][data-state="typing"]'), what="the owner typing")
        hers.find_element(By.ID, "reply-send").click()
        wait(hers, lambda d: "Let me check with billing" in message_bodies(d, "outbound"), what="Marta's reply")
        warning = wait(mine, lambda d: displayed(d, "#reply-collision"), what="the collision warning")
        assert "Marta Ruiz replied after you began typing" in warning.text and "Let me check with billing" in warning.text
        assert mine.find_element(By.ID, "reply-send").text == "Send anyway"
        assert [m["body"] for m in outbound(gw, cid)] == ["Let me check with billing"], "nothing sent by the owner yet"
        screenshot(mine, "console-collision-warning.png")
        # Having read it, the owner still sends: it goes out.
        mine.find_element(By.ID, "reply-send").click()
        wait(mine, lambda d: "Your refund left this morning" in message_bodies(d, "outbound"), what="the owner's reply")
        assert not displayed(mine, "#reply-collision")
        assert sorted(m["body"] for m in outbound(gw, cid)) == ["Let me check with billing", "Your refund left this morning"]

        # Marta closes the conversation: the owner no longer sees her there.
        hers.get(f"{gw.url}/#/")
        wait(mine, lambda d: not css(d, '#viewers [data-agent="marta"]'), what="Marta gone")
    finally:
        mine.quit()
        hers.quit()


def test_keyboard_only_triage_of_three_conversations(gateway, receiver, shop, browser):
    gw = console_gateway(gateway, shop)
    # Luis is off, so Ana takes all three customers.
    assert gw.api("luis", "PUT", "me/status", json={"status": "offline"}).status_code == 200
    convs = [gw.conversation_of(gw.ingest(unique("m"), unique(f"k{i}") + "@example.com", f"Question number {i}", name=f"Triage {i}"))
             for i in range(3)]
    assert {c["owner"] for c in convs} == {"ana"}
    set_password(gw, "ana")
    sign_in(browser, gw, "ana")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#inbox-list a.inbox-row")) == 3, what="three rows")
    order = browser.execute_script("return [...document.querySelectorAll('#inbox-list a.inbox-row')].map(a => Number(a.dataset.id))")
    assert sorted(order) == sorted(c["id"] for c in convs)

    names = {c["id"]: c["customer"]["name"] for c in convs}

    def opened(cid):
        wait(browser, lambda d: shown_conversation(d) == cid and css(d, "#reply-body")
             and d.execute_script("return document.getElementById('conv-title')?.textContent") == names[cid],
             what=f"{names[cid]} open")

    # j opens the first; r, type, Ctrl+Enter answers it.
    press(browser, "j")
    opened(order[0])
    press(browser, "r")
    assert focused_id(browser) == "reply-body"
    press(browser, "We are on it")
    press_ctrl_enter(browser)
    wait(browser, lambda d: "We are on it" in message_bodies(d, "outbound"), what="the reply")
    # Esc leaves the box; j goes on to the second, e escalates it with Enter.
    press(browser, Keys.ESCAPE)
    press(browser, "j")
    opened(order[1])
    press(browser, "e")
    assert focused_id(browser) == "escalate-body"
    press(browser, "Refund above my limit", Keys.ENTER)
    wait_until(lambda: gw.get_json("marta", f"conversations/{order[1]}")["escalated"], 10, what="the escalation")
    # The third gets an internal note (n), and k goes back.
    press(browser, Keys.ESCAPE)
    press(browser, "j")
    opened(order[2])
    press(browser, "n")
    press(browser, "Called the courier")
    press_ctrl_enter(browser)
    wait(browser, lambda d: "Called the courier" in message_bodies(d, "note"), what="the note")
    press(browser, Keys.ESCAPE)
    press(browser, "k")
    opened(order[1])

    # ? lists the shortcuts (Esc closes); / searches, Enter opens the first result.
    press(browser, "?")
    dialog = wait(browser, lambda d: displayed(d, "#shortcuts-dialog"), what="the shortcuts")
    assert "Next conversation" in dialog.text and "Escalate" in dialog.text
    press(browser, Keys.ESCAPE)
    wait(browser, lambda d: not displayed(d, "#shortcuts-dialog"), what="the dialog closed")
    press(browser, "/")
    assert focused_id(browser) == "search"
    press(browser, "Triage 2")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#search-results a.search-result")) == 1, what="one match")
    press(browser, Keys.ENTER)
    opened(convs[2]["id"])

    assert [m["body"] for m in outbound(gw, order[0])] == ["We are on it"]
    assert gw.get_json("marta", f"conversations/{order[1]}")["assignee"] == "marta"
    assert [m["body"] for m in gw.get_json("marta", f"conversations/{order[2]}")["messages"] if m["direction"] == "note"] == ["Called the courier"]


def test_a_new_message_shows_a_desktop_notification_and_an_unread_marker(gateway, shop, browser):
    gw = console_gateway(gateway, shop)
    email = unique("nora") + "@example.com"
    conv = gw.conversation_of(gw.ingest(unique("m"), email, "First question", name="Nora Díaz"))
    cid, owner = conv["id"], conv["owner"]
    set_password(gw, owner)
    # The test profile grants notifications for the gateway's origin, and records what is shown.
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": gw.url, "permissions": ["notifications"]})
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NOTIFICATION_SPY})
    sign_in(browser, gw, owner)
    assert browser.execute_script("return Notification.permission") == "granted"
    assert not displayed(browser, "#notify-toggle"), "nothing left to ask"

    row = f'#inbox-list a[data-id="{cid}"]'
    wait(browser, lambda d: css(d, row + "[data-unread]"), what="the unread marker")
    assert "1 unread" in browser.find_element(By.ID, "unread-count").text
    browser.find_element(By.CSS_SELECTOR, row).send_keys("\n")
    wait(browser, lambda d: css(d, row) and not css(d, row + "[data-unread]"), what="read once opened")
    browser.refresh()  # kept for this agent in this browser
    wait(browser, lambda d: css(d, "#inbox-list[data-loaded]") and css(d, '#conn-status[data-state="live"]'), what="the console again")
    assert css(browser, row) and not css(browser, row + "[data-unread]")

    # Back on the inbox, the customer writes again.
    browser.execute_script("location.hash = '#/'")
    wait(browser, lambda d: css(d, "#pick-conversation"), what="no conversation open")
    gw.ingest(unique("m"), email, "Any news about my order?")
    notes = wait(browser, lambda d: d.execute_script("return window.__notifications"), what="a notification")
    assert notes[0]["title"] == "New message from Nora Díaz" and notes[0]["body"] == "Any news about my order?"
    wait(browser, lambda d: css(d, row + "[data-unread]"), what="unread again")

    # A conversation handed over by a supervisor is a notification too.
    other = "luis" if owner == "ana" else "ana"
    theirs = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "for the colleague"))
    assert theirs["owner"] == other, "least-loaded assignment"

    assert gw.api("marta", "POST", f"conversations/{theirs['id']}/assign", json={"agent": owner}).status_code == 201
    wait(browser, lambda d: any(n["title"] == "Conversation assigned to you" for n in d.execute_script("return window.__notifications")),
         what="the assignment notification")


def test_an_sla_warning_is_a_desktop_notification(gateway, shop, browser):
    gw = console_gateway(gateway, shop, routing={"first_response": "6s"})
    for agent in ("ana", "luis"):
        set_password(gw, agent)
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": gw.url, "permissions": ["notifications"]})
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NOTIFICATION_SPY})
    # Luis is off: the new customer is Ana's, and she is signed in before the clock starts.
    assert gw.api("luis", "PUT", "me/status", json={"status": "offline"}).status_code == 200
    sign_in(browser, gw, "ana")
    gw.ingest(unique("m"), unique("c") + "@example.com", "Hello?", name="Sara Gil")
    notes = wait(browser, lambda d: [n for n in d.execute_script("return window.__notifications") if n["title"] == "Reply due soon"],
                 timeout=30, what="the SLA warning")
    assert notes[0]["body"].startswith("Sara Gil is waiting; the reply is due")
    titles = [n["title"] for n in browser.execute_script("return window.__notifications")]
    assert titles[0] == "New message from Sara Gil", "the new customer's message came first, once"
    assert titles.count("New message from Sara Gil") == 1 and "Conversation assigned to you" not in titles, titles


def test_status_and_language_switch_in_the_header_kept_per_agent(gateway, shop, browser):
    gw = console_gateway(gateway, shop)
    for agent in ("ana", "luis"):
        set_password(gw, agent)
    sign_in(browser, gw, "ana")
    # Status: one click.
    wait(browser, lambda d: css(d, '#status-available[aria-pressed="true"]'), what="the current status")
    browser.find_element(By.ID, "status-away").click()
    wait(browser, lambda d: css(d, '#status-away[aria-pressed="true"]'), what="away")
    assert gw.get_json("ana", "me")["status"] == "away"
    browser.find_element(By.ID, "status-available").click()
    wait(browser, lambda d: css(d, '#status-available[aria-pressed="true"]'), what="available again")
    assert gw.get_json("ana", "me")["status"] == "available"

    # Language: English from the browser, Spanish in one click, for this agent only.
    assert browser.find_element(By.ID, "nav-inbox").text == "Inbox"
    browser.find_element(By.ID, "lang-es").click()
    wait(browser, lambda d: d.find_element(By.ID, "nav-inbox").text == "Bandeja", what="Spanish")
    assert browser.find_element(By.ID, "status-available").text == "Disponible"
    assert browser.find_element(By.ID, "inbox-title").text == "Bandeja"
    assert browser.execute_script("return document.documentElement.lang") == "es"
    browser.refresh()
    wait(browser, lambda d: css(d, "#nav-inbox") and d.find_element(By.ID, "nav-inbox").text == "Bandeja", what="Spanish after a reload")
    screenshot(browser, "console-spanish.png")
    browser.find_element(By.ID, "sign-out").click()
    wait(browser, lambda d: css(d, "#signin-title"), what="the sign-in form")
    assert browser.find_element(By.ID, "signin-title").text == "Sign in to the agent console", "the browser's language again"
    sign_in(browser, gw, "luis")
    assert browser.find_element(By.ID, "nav-inbox").text == "Inbox", "Luis did not choose Spanish"
    browser.find_element(By.ID, "sign-out").click()
    sign_in(browser, gw, "ana")
    assert browser.find_element(By.ID, "nav-inbox").text == "Bandeja", "Ana's choice is kept"
    browser.find_element(By.ID, "lang-en").click()
    wait(browser, lambda d: d.find_element(By.ID, "nav-inbox").text == "Inbox", what="English again")


PANES = """
const box = (id) => {
  const e = document.getElementById(id);
  if (!e || getComputedStyle(e).display === 'none') return null;
  const r = e.getBoundingClientRect();
  return r.width > 0 ? {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width} : null;
};
return {inbox: box('inbox-pane'), conversation: box('conversation-pane'), card: box('card-pane'), width: window.innerWidth};
"""


def panes_at(driver, width, height):
    driver.set_window_size(width, height)
    wait(driver, lambda d: abs(d.execute_script("return window.innerWidth") - width) < 20, what=f"a {width}px window")
    return driver.execute_script(PANES)


def test_three_two_and_one_panes_by_window_width(gateway, shop, browser):
    gw = console_gateway(gateway, shop)
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("p") + "@example.com", "Layout check", name="Pia Costa"))
    set_password(gw, conv["owner"])
    sign_in(browser, gw, conv["owner"])
    open_in(browser, gw, conv["id"])
    wait(browser, lambda d: css(d, "#customer-card #card-name"), what="the customer card")
    # The skip link moves the keyboard to the content without leaving the conversation.
    browser.find_element(By.ID, "skip-link").send_keys("\n")
    assert focused_id(browser) == "main" and shown_conversation(browser) == conv["id"]

    wide = panes_at(browser, 1440, 900)
    screenshot(browser, "console-wide.png")
    assert wide["inbox"] and wide["conversation"] and wide["card"], wide
    assert wide["inbox"]["right"] <= wide["conversation"]["left"] and wide["conversation"]["right"] <= wide["card"]["left"], wide
    assert abs(wide["inbox"]["top"] - wide["card"]["top"]) < 5, "three side by side"
    assert not displayed(browser, "#back-link")

    tablet = panes_at(browser, 900, 1100)
    screenshot(browser, "console-tablet.png")
    assert tablet["inbox"] and tablet["conversation"] and tablet["card"], tablet
    assert tablet["inbox"]["right"] <= tablet["conversation"]["left"], "the list beside the thread"
    assert abs(tablet["card"]["left"] - tablet["conversation"]["left"]) < 2, "the card in the thread's column"
    assert tablet["card"]["top"] >= tablet["conversation"]["bottom"], "…under the thread"

    phone = panes_at(browser, 420, 860)
    screenshot(browser, "console-phone.png")
    assert phone["inbox"] is None and phone["conversation"], phone
    assert phone["conversation"]["width"] > 0.85 * phone["width"], "the conversation takes the screen"
    back = displayed(browser, "#back-link")
    assert back
    back.send_keys("\n")
    wait(browser, lambda d: d.execute_script(PANES)["inbox"] is not None, what="the inbox on the phone")
    phone_inbox = browser.execute_script(PANES)
    assert phone_inbox["conversation"] is None and phone_inbox["card"] is None
    screenshot(browser, "console-phone-inbox.png")


def test_spanish_browser_gets_spanish_workspace(gateway, shop):
    gw = console_gateway(gateway, shop)
    driver = make_browser("es-ES")
    try:
        conv = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "hola", name="Rocío"))
        set_password(gw, conv["owner"])
        sign_in(driver, gw, conv["owner"])
        assert driver.find_element(By.ID, "nav-inbox").text == "Bandeja"
        assert driver.find_element(By.ID, "search").get_attribute("placeholder").startswith("Buscar en todo")
        assert driver.find_element(By.ID, "pick-conversation").text.startswith("Elige una conversación")
    finally:
        driver.quit()
