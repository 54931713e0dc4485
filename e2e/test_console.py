"""The agent console in a real Chromium (Debian's chromium + chromedriver, driven by selenium):
sign-in by password (`switchboard agents passwd`) and by token, the inbox, a conversation with the
customer card and context-provider data, a reply whose delivery state changes live, a customer
message arriving without reload, another agent refused, customer HTML shown as text; and over plain
HTTP: CSP and other headers, cookie flags, CSRF, throttled sign-in, hashed storage.

Screenshots land in e2e/artifacts/ for a person to look at."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from conftest import ADAPTER, BIN, JSONAnswerServer, unique
from test_openapi import check
from test_security_server import from_address

# Selenium must never phone home or download a driver.
os.environ["SE_AVOID_STATS"] = "true"

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "correct horse battery"
XSS = "<script>alert(1)</script><b>x</b>"


# ---------------------------------------------------------------------------------------------
# fixtures


class Shop(JSONAnswerServer):
    """A tiny `http` context provider: GET /c?email=… answers the customer's orders."""

    def __init__(self):
        super().__init__(lambda query: {"email": query.get("email", ""), "tier": "gold",
                                        "orders": [{"id": "A-1001", "state": "shipped", "total": "59.90 EUR"}]})
        self.url = self.base + "/c?email={email}"


@pytest.fixture
def shop():
    s = Shop()
    yield s
    s.close()


def make_browser(lang="en-US"):
    if not os.access(CHROMEDRIVER, os.X_OK):
        pytest.fail(f"{CHROMEDRIVER} is missing: apt-get install chromium chromium-driver", pytrace=False)
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", f"--lang={lang}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def browser():
    driver = make_browser()
    yield driver
    driver.quit()


@pytest.fixture
def browser_es():
    driver = make_browser("es-ES")
    yield driver
    driver.quit()


# ---------------------------------------------------------------------------------------------
# helpers


def set_password(gw, agent, password=PASSWORD):
    r = subprocess.run([BIN, "agents", "passwd", agent, "--config", str(gw.config_path)], input=password + "\n",
                       env=gw.env, cwd=gw.workdir, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r


def other_agent(agent):
    return "luis" if agent == "ana" else "ana"


def wait(driver, predicate, timeout=30, what="condition"):
    # An element re-rendered by a live event while the predicate reads it is only a reason to look
    # again, not a failure.
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: predicate(d), message=f"waiting for {what}")


def css(driver, selector):
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0] if found else None


def sign_in(driver, gw, agent, password=PASSWORD):
    driver.get(gw.url + "/")
    wait(driver, lambda d: css(d, "#agent-id"), what="the sign-in form")
    driver.find_element(By.ID, "agent-id").send_keys(agent)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "signin-submit").click()
    wait(driver, lambda d: css(d, "#inbox-list[data-loaded]"), what="the inbox")
    wait(driver, lambda d: css(d, '#conn-status[data-state="live"]'), what="the live stream")


def message_bodies(driver, direction=None):
    # Read in one script: the thread re-renders on live events, so elements found first and read
    # afterwards may be gone (stale) by then.
    selector = "#thread .msg" + (f'[data-direction="{direction}"]' if direction else "") + " .body"
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText.trim())", selector)


def screenshot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def session_for(gw, agent, password=PASSWORD):
    """Signs in over plain HTTP; returns (requests.Session with the cookie, csrf token, response)."""
    s = requests.Session()
    r = s.post(gw.url + "/console/session", json={"agent": agent, "password": password}, timeout=30)
    assert r.status_code == 201, r.text
    return s, r.json()["csrf_token"], r


def console_gateway(gateway, shop, **extra):
    overrides = {"context_providers": [{"id": "shop", "type": "http", "url": shop.url, "timeout": "2s"}]}
    overrides.update(extra)
    return gateway(overrides)


# ---------------------------------------------------------------------------------------------
# browser tests


def test_agent_works_a_conversation_end_to_end(gateway, receiver, shop, browser):
    gw = console_gateway(gateway, shop)
    email = unique("nuria") + "@example.com"
    first = gw.ingest(unique("m"), email, "My order A-1001 has not arrived", name="Nuria Vals")
    conv = gw.conversation_of(first)
    cid, owner = conv["id"], conv["owner"]
    set_password(gw, owner)

    sign_in(browser, gw, owner)
    row_selector = f'#inbox-list a[data-id="{cid}"]'
    wait(browser, lambda d: css(d, row_selector), what="the conversation in the inbox")
    # Read in one script: a live refresh may replace the row between two WebDriver calls.
    row = browser.execute_script("""
        const a = document.querySelector(arguments[0]);
        return {text: a.textContent, badge: a.querySelector('.badge.channel')?.textContent,
                waiting: !!a.querySelector('.waiting'), due: !!a.querySelector('.due')};""", row_selector)
    assert "Nuria Vals" in row["text"] and "My order A-1001 has not arrived" in row["text"]
    assert row["badge"] == ADAPTER and row["waiting"] and row["due"], row
    screenshot(browser, "console-inbox.png")

    # Keyboard: the row is a real link, reachable and opened with Enter.
    browser.find_element(By.CSS_SELECTOR, row_selector).send_keys("\n")
    wait(browser, lambda d: css(d, "#customer-card #card-context"), what="the customer card")
    provider = wait(browser, lambda d: css(d, '#card-context [data-provider="shop"][data-state="ok"]'), what="shop data")
    assert "A-1001" in provider.text and "gold" in provider.text
    assert browser.find_element(By.ID, "contacts-total").text == "1"
    assert email in browser.find_element(By.ID, "card-identities").text
    assert browser.find_element(By.ID, "card-owner").text == owner
    assert message_bodies(browser, "inbound") == ["My order A-1001 has not arrived"]
    # The page is the same document from here on: a reload would lose this marker.
    browser.execute_script("window.__noReload = 42;")

    # Reply: the box names the adapter it leaves through; the delivery state follows live.
    assert ADAPTER in browser.find_element(By.ID, "reply-via-hint").text
    browser.find_element(By.ID, "reply-body").send_keys("It ships today, Nuria.")
    browser.find_element(By.ID, "reply-send").click()
    wait(browser, lambda d: css(d, '#thread .msg-outbound .delivery-state[data-state="delivered"]'), what="delivered")
    assert any(r["json"] and r["json"]["text"] == "It ships today, Nuria." for r in receiver.received())

    # A refusal shows at once with its reason (here an adapter the gateway does not have).
    browser.find_element(By.ID, "reply-body").send_keys("Through nowhere")
    # One script, so a live refresh of the options cannot come between choosing and sending.
    browser.execute_script("""const s = document.getElementById('reply-via');
        s.append(new Option('no-such-adapter', 'no-such-adapter')); s.value = 'no-such-adapter';
        document.getElementById('reply-form').requestSubmit();""")
    error = wait(browser, lambda d: d.find_element(By.ID, "reply-error").text, what="the refusal")
    assert "no-such-adapter" in error
    assert browser.find_element(By.ID, "reply-error").get_attribute("data-code") == "unknown_adapter"
    assert browser.find_element(By.ID, "reply-body").get_attribute("value") == "Through nowhere", "the text is kept"
    browser.find_element(By.ID, "reply-body").clear()
    assert "null" not in browser.find_element(By.CSS_SELECTOR, ".conv-header").text

    # A new customer message arrives by webhook and shows up without a reload.
    gw.ingest(unique("m"), email, "Thanks! One more question")
    wait(browser, lambda d: "Thanks! One more question" in message_bodies(d, "inbound"), what="the live message")

    # Customer HTML is text: no <b> element, no alert, the characters as typed.
    gw.ingest(unique("m"), email, XSS)
    wait(browser, lambda d: XSS in message_bodies(d, "inbound"), what="the HTML message")
    assert browser.find_elements(By.CSS_SELECTOR, "#thread b, #main b, #thread script") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.execute_script("return window.__noReload") == 42

    # A note is visibly distinct from what the customer saw.
    note = browser.find_element(By.CSS_SELECTOR, "#note-form textarea")
    note.send_keys("Checked the courier")
    browser.find_element(By.CSS_SELECTOR, "#note-form button").click()
    wait(browser, lambda d: "Checked the courier" in message_bodies(d, "note"), what="the note")
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, "console-conversation.png")
    browser.set_window_size(820, 1180)  # a tablet held upright
    screenshot(browser, "console-conversation-tablet.png")
    assert browser.find_element(By.ID, "reply-send").is_displayed()


def test_another_agent_cannot_open_the_conversation(gateway, shop, browser):
    gw = console_gateway(gateway, shop)
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "private", name="Someone"))
    stranger = other_agent(conv["owner"])
    set_password(gw, stranger)
    sign_in(browser, gw, stranger)
    assert css(browser, f'#inbox-list a[data-id="{conv["id"]}"]') is None
    browser.get(f"{gw.url}/#/c/{conv['id']}")
    refused = wait(browser, lambda d: css(d, "#conversation-refused"), what="the refusal")
    assert refused.get_attribute("data-status") == "403"
    assert "private" not in browser.find_element(By.ID, "main").text


def test_token_sign_in_reconnecting_indicator_and_sign_out(gateway, shop, browser):
    gw = console_gateway(gateway, shop)
    browser.get(gw.url + "/")
    wait(browser, lambda d: css(d, "#agent-id"), what="the sign-in form")
    # A wrong password is refused with its reason, on the page.
    browser.find_element(By.ID, "agent-id").send_keys("ana")
    browser.find_element(By.ID, "password").send_keys("not the password")
    browser.find_element(By.ID, "signin-submit").click()
    wait(browser, lambda d: d.find_element(By.ID, "signin-error").text, what="the refusal")

    browser.find_element(By.CSS_SELECTOR, ".token-signin summary").click()
    browser.find_element(By.ID, "token").send_keys(gw.tokens["marta"])
    browser.find_element(By.ID, "token-submit").click()
    wait(browser, lambda d: css(d, '#conn-status[data-state="live"]'), what="the live stream")
    assert "Marta Ruiz" in browser.find_element(By.ID, "who").text
    # Supervisors get the scope filters and the front line's suggestions.
    assert css(browser, "#filter-everyone") and css(browser, "#filter-escalations") and css(browser, "#filter-breached")
    assert gw.api("ana", "POST", "suggestions", json={"body": "<i>a macro</i> for late parcels"}).status_code == 201
    browser.find_element(By.ID, "nav-suggestions").click()
    wait(browser, lambda d: "<i>a macro</i> for late parcels" in d.find_element(By.ID, "main").text, what="the suggestion")
    assert not browser.find_elements(By.CSS_SELECTOR, "li.suggestion i"), "a suggestion is shown as text"
    browser.find_element(By.ID, "nav-inbox").click()
    cookie = browser.get_cookie("sb_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert browser.execute_script("return document.cookie") == "", "the session cookie is invisible to scripts"

    browser.find_element(By.ID, "sign-out").click()
    wait(browser, lambda d: css(d, "#agent-id"), what="the sign-in form again")
    r = requests.get(gw.url + "/console/session", cookies={"sb_session": cookie["value"]}, timeout=5)
    assert r.status_code == 401, "the session ended on the server, not only in the browser"

    # The stream drops when the gateway goes away: the page says so.
    set_password(gw, "ana")
    sign_in(browser, gw, "ana")
    gw.stop()
    wait(browser, lambda d: css(d, '#conn-status[data-state="reconnecting"], #conn-status[data-state="offline"]'),
         what="the reconnecting indicator")


def test_spanish_browser_gets_spanish_text(gateway, shop, browser_es):
    gw = console_gateway(gateway, shop)
    browser_es.get(gw.url + "/")
    title = wait(browser_es, lambda d: css(d, "#signin-title"), what="the sign-in form")
    assert title.text == "Acceso a la consola de agentes"
    assert browser_es.find_element(By.CSS_SELECTOR, "label[for=password]").text == "Contraseña"


# ---------------------------------------------------------------------------------------------
# HTTP-level checks


def test_console_headers_cookie_flags_and_csrf(gateway, shop):
    gw = console_gateway(gateway, shop)
    for path in ("/", "/assets/app.js", "/assets/console.css"):
        r = requests.get(gw.url + path, timeout=5)
        assert r.status_code == 200, path
        csp = r.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
    assert requests.get(gw.url + "/assets/app.js", timeout=5).headers["Content-Type"].startswith("text/javascript")
    assert requests.get(gw.url + "/assets/../Package.swift", timeout=5).status_code == 404
    assert requests.get(gw.url + "/assets/nope.js", timeout=5).status_code == 404

    conv = gw.conversation_of(gw.ingest(unique("m"), unique("c") + "@example.com", "hi"))
    owner, cid = conv["owner"], conv["id"]
    set_password(gw, owner)
    s, csrf, r = session_for(gw, owner)
    set_cookie = r.headers["Set-Cookie"]
    assert "sb_session=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert "Path=/" in set_cookie and "Secure" not in set_cookie  # plain http here

    # Reads need only the cookie; the live stream too.
    assert s.get(gw.url + "/api/v1/me", timeout=5).json()["id"] == owner
    with s.get(gw.url + "/api/v1/events", stream=True, timeout=5) as stream:
        assert stream.status_code == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    # A state-changing request with the cookie but without the CSRF token is refused.
    r = s.post(f"{gw.url}/api/v1/conversations/{cid}/notes", json={"body": "forged"}, timeout=5)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = s.post(f"{gw.url}/api/v1/conversations/{cid}/notes", json={"body": "forged"}, headers={"X-CSRF-Token": "x" * 43}, timeout=5)
    assert r.status_code == 403
    r = s.post(f"{gw.url}/api/v1/conversations/{cid}/notes", json={"body": "real"}, headers={"X-CSRF-Token": csrf}, timeout=5)
    assert r.status_code == 201, r.text
    assert [m["body"] for m in gw.get_json(owner, f"conversations/{cid}")["messages"] if m["direction"] == "note"] == ["real"]
    # Bearer clients are unaffected.
    assert gw.api(owner, "POST", f"conversations/{cid}/notes", json={"body": "api"}).status_code == 201
    # Another site cannot sign the browser in (login CSRF).
    r = requests.post(gw.url + "/console/session", json={"agent": owner, "password": PASSWORD},
                      headers={"Origin": "https://evil.example"}, timeout=30)
    assert r.status_code == 403

    # Only hashes are stored.
    db = sqlite3.connect(gw.db_path)
    try:
        hashes = [bytes(h) for (h,) in db.execute("SELECT token_hash FROM console_sessions")]
        stored = db.execute("SELECT hash, salt, iterations FROM agent_passwords WHERE agent_id = ?", (owner,)).fetchone()
    finally:
        db.close()
    assert s.cookies["sb_session"].encode() not in hashes and all(len(h) == 32 for h in hashes)
    assert stored[2] >= 210_000 and PASSWORD.encode() not in bytes(stored[0]) and len(bytes(stored[1])) >= 16

    # Signing out ends the session.
    assert s.delete(gw.url + "/console/session", headers={"X-CSRF-Token": csrf}, timeout=5).status_code == 204
    assert s.get(gw.url + "/api/v1/me", timeout=5).status_code == 401


def test_wrong_passwords_are_refused_and_throttled(gateway, shop):
    gw = console_gateway(gateway, shop)
    set_password(gw, "luis")
    for _ in range(5):
        r = requests.post(gw.url + "/console/session", json={"agent": "luis", "password": "guess"}, timeout=30)
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    # After five failures from this address the next attempt from it must wait, even with the
    # right password (e2e/test_security_server.py has the race, other addresses, the cost).
    r = requests.post(gw.url + "/console/session", json={"agent": "luis", "password": PASSWORD}, timeout=30)
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    assert int(r.headers["Retry-After"]) >= 1
    # From the agent's own address the right password still works: a stranger cannot lock them out.
    owner = from_address("127.0.0.2")
    assert owner.post(gw.url + "/console/session", json={"agent": "luis", "password": PASSWORD}, timeout=30).status_code == 201
    # Unknown agents and bad tokens get the same kind of answer; form posts work too.
    other = from_address("127.0.0.3")
    r = other.post(gw.url + "/console/session", data={"agent": "nobody", "password": "x"}, timeout=30)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    assert other.post(gw.url + "/console/session", json={"token": "nope"}, timeout=30).status_code == 401
    assert other.post(gw.url + "/console/session", json={}, timeout=30).status_code == 400
    # A new password signs the agent out everywhere.
    set_password(gw, "luis", "another long password")
    assert owner.get(gw.url + "/api/v1/me", timeout=5).status_code == 401


def test_passwd_command_refuses_short_passwords_and_unknown_agents(gateway, shop):
    gw = console_gateway(gateway, shop)
    r = subprocess.run([BIN, "agents", "passwd", "ana", "--config", str(gw.config_path)], input="short\n",
                       env=gw.env, cwd=gw.workdir, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "at least" in r.stderr
    r = subprocess.run([BIN, "agents", "passwd", "ghost", "--config", str(gw.config_path)], input=PASSWORD + "\n",
                       env=gw.env, cwd=gw.workdir, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "ghost" in r.stderr


def test_secure_cookie_when_public_url_is_https(gateway, shop):
    gw = console_gateway(gateway, shop, server={"public_url": "https://desk.example.com"})
    r = requests.post(gw.url + "/console/session", json={"token": gw.tokens["ana"]}, timeout=30)
    assert r.status_code == 201
    assert "Secure" in r.headers["Set-Cookie"]


def test_inbox_lists_previews_most_urgent_first(gateway, shop):
    gw = console_gateway(gateway, shop, adapters=[{
        "id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET", "first_response": "1h",
        "inbound": {"message_id": "/id", "customer": "/from", "customer_name": "/name", "text": "/text", "sent_at": "/ts"},
        "outbound": {"url": "http://127.0.0.1:9/none", "timeout": "1s"}}])
    ids = [gw.conversation_of(gw.ingest(unique("m"), unique(f"c{i}") + "@example.com", f"text {i}"))["id"] for i in range(3)]
    r = gw.api("marta", "GET", "inbox?scope=everyone")
    spec = yaml.safe_load(requests.get(gw.url + "/api/v1/openapi.yaml", timeout=5).text)
    check(spec, "GET", "/api/v1/inbox", r)
    inbox = r.json()["conversations"]
    listed = [e["conversation"]["id"] for e in inbox]
    assert listed == ids, "the earliest due first"
    assert inbox[0]["last"]["body"] == "text 0" and inbox[0]["last"]["adapter"] == ADAPTER
    assert inbox[0]["last"]["waiting_since"]
    assert gw.api("ana", "GET", "inbox?scope=everyone").status_code == 403
    assert gw.get_json("marta", "inbox")["conversations"] == [], "a supervisor's own inbox holds only theirs"
