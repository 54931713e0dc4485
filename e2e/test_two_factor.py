"""Two-factor sign-in (TOTP, RFC 6238) for the console (issue 21): `switchboard agents totp` enrolls
and prints the otpauth:// URI and recovery codes; a password alone then asks for the code; a wrong
code is refused, throttled and audited; a code is not accepted twice; recovery codes work once;
`console.require_2fa` refuses agents without enrollment; and the same in Chromium."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from urllib.parse import parse_qs, unquote, urlsplit

from selenium.webdriver.common.by import By

from conftest import unique
from test_console import css, make_browser, screenshot, wait
from trust_support import audit, cli, set_password, sign_in

PASSWORD = "correct horse battery staple"


def enroll(gw, agent: str) -> tuple[bytes, list[str], str]:
    r = cli(gw, "agents", "totp", agent)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    uri = lines[0]
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path).endswith(f":{agent}")
    query = parse_qs(parts.query)
    assert query["issuer"] == ["Switchboard"]
    encoded = query["secret"][0]
    secret = base64.b32decode(encoded + "=" * (-len(encoded) % 8))
    codes = [line.strip() for line in lines[2:] if line.strip()]
    assert len(codes) == 10
    return secret, codes, uri


def totp(secret: bytes, at: float | None = None, offset: int = 0) -> str:
    """RFC 6238 with HMAC-SHA1, 30 s steps, 6 digits — written here from the RFC, not the gateway's code."""
    step = int((time.time() if at is None else at) // 30) + offset
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    start = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[start:start + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def test_password_then_code_replay_recovery_and_throttle(gateway):
    gw = gateway()
    set_password(gw, "ana", PASSWORD)
    assert sign_in(gw, agent="ana", password=PASSWORD).status_code == 201, "no second factor yet: the password suffices"
    secret, codes, _ = enroll(gw, "ana")

    asked = sign_in(gw, agent="ana", password=PASSWORD)
    assert asked.status_code == 401 and asked.json()["error"]["code"] == "second_factor_required", asked.text
    # A wrong password never learns that a code would be asked.
    assert sign_in(gw, agent="ana", password="nope", code=totp(secret)).json()["error"]["code"] == "bad_credentials"
    bad = sign_in(gw, agent="ana", password=PASSWORD, code=wrong(totp(secret)))
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_code"

    code = totp(secret)
    ok = sign_in(gw, agent="ana", password=PASSWORD, code=code)
    assert ok.status_code == 201, ok.text
    replay = sign_in(gw, agent="ana", password=PASSWORD, code=code)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "bad_code", "a code is not accepted twice"

    # A recovery code works once, typed any way.
    recovery = codes[0]
    assert sign_in(gw, agent="ana", password=PASSWORD, code=recovery.upper().replace("-", " ")).status_code == 201
    assert sign_in(gw, agent="ana", password=PASSWORD, code=recovery).status_code == 401

    entries = audit(gw)
    failures = [e for e in entries if e["action"] == "sign_in_failed" and e.get("subject") == "agent:ana"]
    reasons = {e["details"]["reason"] for e in failures}
    assert {"bad_code", "code_used_before"} <= reasons, reasons
    assert all(e["source"] == "127.0.0.1" for e in failures)
    methods = [e["details"]["method"] for e in entries if e["action"] == "sign_in" and e["actor"] == "ana"]
    assert "password+totp" in methods and "password+recovery_code" in methods
    assert any(e["action"] == "recovery_code_used" and e["details"]["left"] == "9" for e in entries)
    assert any(e["action"] == "second_factor_enrolled" and e["actor"] == "operator" for e in entries)

    # Wrong codes are throttled like passwords: five, then 429 with Retry-After — the right code too.
    answers = [sign_in(gw, agent="ana", password=PASSWORD, code=wrong(totp(secret))).status_code for _ in range(6)]
    assert answers.count(429) >= 2, answers
    throttled = sign_in(gw, agent="ana", password=PASSWORD, code=totp(secret, offset=1))
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0

    # Removed, the password alone signs in again.
    r = cli(gw, "agents", "totp", "ana", "--remove")
    assert r.returncode == 0 and "removed" in r.stdout


def test_require_2fa_refuses_agents_without_a_second_factor(gateway):
    gw = gateway({"console": {"require_2fa": True}})
    set_password(gw, "luis", PASSWORD)
    r = sign_in(gw, agent="luis", password=PASSWORD)
    assert r.status_code == 403 and r.json()["error"]["code"] == "second_factor_not_enrolled", r.text
    assert "switchboard agents totp luis" in r.json()["error"]["message"]
    assert any(e["action"] == "sign_in_failed" and e["details"]["reason"] == "second_factor_not_enrolled" for e in audit(gw))
    secret, _, _ = enroll(gw, "luis")
    assert sign_in(gw, agent="luis", password=PASSWORD, code=totp(secret)).status_code == 201
    # API tokens are not password sign-ins: they keep working (see SECURITY.md).
    assert gw.api("luis", "GET", "me").status_code == 200


def test_chromium_password_and_code_a_wrong_code_refused_and_audited(gateway):
    gw = gateway()
    gw.ingest(unique("m"), unique("cust"))
    set_password(gw, "ana", PASSWORD)
    secret, _, _ = enroll(gw, "ana")
    browser = make_browser()
    try:
        browser.get(gw.url + "/")
        wait(browser, lambda d: css(d, "#agent-id"), what="the sign-in form")
        browser.find_element(By.ID, "agent-id").send_keys("ana")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "signin-submit").click()
        code_field = wait(browser, lambda d: (e := css(d, "#totp-code")) and e.is_displayed() and e, what="the code field")
        assert browser.switch_to.active_element == code_field
        code_field.send_keys(wrong(totp(secret)))
        browser.find_element(By.ID, "signin-submit").click()
        wait(browser, lambda d: "not right" in d.find_element(By.ID, "signin-error").text, what="the refusal")
        screenshot(browser, "console-second-factor-refused.png")
        assert css(browser, "#inbox-list") is None
        code_field = browser.find_element(By.ID, "totp-code")
        code_field.clear()
        code_field.send_keys(totp(secret))
        browser.find_element(By.ID, "signin-submit").click()
        wait(browser, lambda d: css(d, "#inbox-list[data-loaded]"), what="the inbox")
        assert "ana" in browser.find_element(By.ID, "who").text
    finally:
        browser.quit()
    entries = audit(gw)
    assert any(e["action"] == "sign_in_failed" and e["details"]["reason"] == "bad_code" and e["subject"] == "agent:ana" for e in entries)
    assert any(e["action"] == "sign_in" and e["details"]["method"] == "password+totp" for e in entries)
