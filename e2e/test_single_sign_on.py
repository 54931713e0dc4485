"""Single sign-on for the console (OpenID Connect, issue 21), against a small provider started on
loopback with keys made for this run (e2e/support/oidc_provider.py): authorization code flow with
PKCE, `state` and `nonce` checked, the ID token's signature verified against the provider's JWKS,
issuer, audience and expiry checked; the `email` claim mapped to a configured agent; an unknown
identity, and every kind of bad token, refused and audited; and the sign-in in Chromium."""

from __future__ import annotations

import hashlib
import base64
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import unique
from test_console import css, make_browser, screenshot, wait
from trust_support import SUPPORT, audit, fixed_port_gateway  # noqa: F401

sys.path.insert(0, str(SUPPORT))
from oidc_provider import OIDCProvider  # noqa: E402


@pytest.fixture
def provider():
    p = OIDCProvider().start()
    yield p
    p.stop()


def sso_gateway(fixed_port_gateway, provider, **oidc):
    agents = [
        {"id": "ana", "name": "Ana García", "role": "agent", "teams": ["support"], "capacity": 25, "token_env": "SB_TOKEN_ANA",
         "email": "Ana.Garcia@Example.com"},
        {"id": "luis", "name": "Luis Pérez", "role": "agent", "teams": ["support"], "capacity": 25, "token_env": "SB_TOKEN_LUIS"},
        {"id": "marta", "name": "Marta Ruiz", "role": "supervisor", "teams": ["support"], "token_env": "SB_TOKEN_MARTA",
         "email": "marta@example.com"},
    ]
    settings = {"issuer": provider.issuer, "client_id": provider.client_id, "client_secret_env": "SB_OIDC_SECRET",
                "label": "Sign in with Example ID", **oidc}
    return fixed_port_gateway({"agents": agents, "console": {"oidc": settings}}, env={"SB_OIDC_SECRET": provider.client_secret})


def sign_in_via(gw, provider, email: str, tamper_state: bool = False, fresh_browser: bool = False):
    """The browser's dance, by hand: start → provider's form → callback. Returns (session, callback response)."""
    browser = requests.Session()
    start = browser.get(gw.url + "/console/oidc/start", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    authorize = urlsplit(start.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert authorize.netloc == f"127.0.0.1:{provider.port}" and authorize.path == "/authorize"
    assert query["response_type"] == "code" and query["client_id"] == provider.client_id
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == gw.url + "/console/oidc/callback"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    cookie = [c for c in browser.cookies if c.name == "sb_oidc"][0]
    assert cookie.path == "/console/oidc" and cookie.has_nonstandard_attr("HttpOnly")
    form = requests.get(start.headers["Location"], timeout=10)
    assert form.status_code == 200 and 'name="email"' in form.text
    approved = requests.post(f"{provider.issuer}/authorize", data={**query, "email": email}, allow_redirects=False, timeout=10)
    callback = approved.headers["Location"]
    if tamper_state:
        callback = callback.replace("state=", "state=x")
    if fresh_browser:
        browser = requests.Session()
    answer = browser.get(callback, allow_redirects=False, timeout=30)
    return browser, answer


def test_sign_in_maps_the_email_claim_to_an_agent(fixed_port_gateway, provider):
    gw = sso_gateway(fixed_port_gateway, provider)
    options = requests.get(gw.url + "/console/sign-in-options", timeout=10).json()
    assert options == {"oidc": {"label": "Sign in with Example ID", "start": "/console/oidc/start"}}
    browser, answer = sign_in_via(gw, provider, "ana.garcia@example.com")
    assert answer.status_code == 302 and answer.headers["Location"] == "/", answer.headers
    session = browser.get(gw.url + "/console/session", timeout=10)
    assert session.status_code == 200 and session.json()["agent"]["id"] == "ana"
    # The session works on the API, with its CSRF token.
    me = browser.get(gw.url + "/api/v1/me", timeout=10)
    assert me.status_code == 200 and me.json()["id"] == "ana"
    # The provider saw PKCE's verifier and the client's secret (HTTP Basic).
    token_request = requests.get(f"{provider.issuer}/admin/log", timeout=10).json()[-1]
    assert token_request["basic_auth"] and len(token_request["form"]["code_verifier"]) >= 43
    entry = [e for e in audit(gw) if e["action"] == "sign_in"][0]
    assert entry["actor"] == "ana" and entry["details"]["method"] == "oidc" and entry["source"] == "127.0.0.1"


def test_an_identity_that_is_no_agent_is_refused_and_audited(fixed_port_gateway, provider):
    gw = sso_gateway(fixed_port_gateway, provider)
    stranger = unique("stranger") + "@example.com"
    browser, answer = sign_in_via(gw, provider, stranger)
    assert answer.headers["Location"] == "/#/sso-error/unmapped_identity"
    assert browser.get(gw.url + "/console/session", timeout=10).status_code == 401
    refused = audit(gw, action="sign_in_refused")[0]
    assert refused["details"]["email"] == stranger and refused["details"]["reason"] == "unmapped_identity"
    assert refused["details"]["issuer"] == provider.issuer and refused["source"] == "127.0.0.1"
    # An agent without `email:` cannot be reached by any identity.
    _, answer = sign_in_via(gw, provider, "luis@example.com")
    assert answer.headers["Location"] == "/#/sso-error/unmapped_identity"


@pytest.mark.parametrize("misbehaviour, reason", [
    ({"audience": "someone-else"}, "wrong_audience"),
    ({"issuer": "http://127.0.0.1:1"}, "wrong_issuer"),
    ({"expired": True}, "expired"),
    ({"nonce": "not-the-nonce"}, "wrong_nonce"),
    ({"foreign_key": True}, "bad_signature"),
    ({"alg_none": True}, "bad_id_token"),
    ({"email_verified": False}, "unmapped_identity"),
])
def test_bad_tokens_are_refused(fixed_port_gateway, provider, misbehaviour, reason):
    gw = sso_gateway(fixed_port_gateway, provider)
    requests.post(f"{provider.issuer}/admin/misbehave", json=misbehaviour, timeout=10)
    browser, answer = sign_in_via(gw, provider, "ana.garcia@example.com")
    assert answer.headers["Location"] == f"/#/sso-error/{reason}", answer.headers
    assert browser.get(gw.url + "/console/session", timeout=10).status_code == 401
    action = "sign_in_refused" if reason == "unmapped_identity" else "sign_in_failed"
    entry = audit(gw, action=action)[0]
    assert entry["details"]["method"] == "oidc"
    if action == "sign_in_failed":
        assert entry["details"]["reason"] == reason
    else:
        assert entry["details"]["reason"] == "email_not_verified"


def test_state_is_checked_and_belongs_to_the_browser_that_started(fixed_port_gateway, provider):
    gw = sso_gateway(fixed_port_gateway, provider)
    _, answer = sign_in_via(gw, provider, "ana.garcia@example.com", tamper_state=True)
    assert answer.headers["Location"] == "/#/sso-error/state_mismatch"
    # A callback reaching another browser (login CSRF) has no sign-in in progress there.
    _, answer = sign_in_via(gw, provider, "ana.garcia@example.com", fresh_browser=True)
    assert answer.headers["Location"] == "/#/sso-error/no_sign_in_in_progress"
    reasons = {e["details"]["reason"] for e in audit(gw, action="sign_in_failed")}
    assert {"state_mismatch", "no_sign_in_in_progress"} <= reasons


def test_misconfiguration_is_reported_with_its_line(tmp_path):
    import subprocess
    from conftest import BIN
    config = tmp_path / "c.yaml"
    config.write_text(
        "storage: {sqlite: db.sqlite}\n"
        "agents:\n  - {id: ana, token_env: T, email: not-an-email}\n"
        "adapters:\n  - {id: a, type: webhook, open: true, inbound: {message_id: /id, customer: /from, text: /text}, outbound: {url: 'http://127.0.0.1:9/'}}\n"
        "console:\n  oidc: {issuer: 'http://idp.example.com', client_id: x, client_secret_env: NOPE}\n")
    r = subprocess.run([BIN, "check-config", "--config", str(config)], capture_output=True, text=True, timeout=60,
                       env={"T": "t" * 40, "PATH": "/usr/bin:/bin"})
    assert r.returncode == 1
    assert f"{config}:3:" in r.stdout + r.stderr and "not an e-mail address" in r.stdout + r.stderr
    assert "https://" in r.stdout + r.stderr and "NOPE" in r.stdout + r.stderr


def test_chromium_signs_in_through_the_provider(fixed_port_gateway, provider):
    gw = sso_gateway(fixed_port_gateway, provider)
    gw.ingest(unique("m"), unique("cust"))
    browser = make_browser()
    try:
        browser.get(gw.url + "/")
        button = wait(browser, lambda d: css(d, "#sso-signin"), what="the single sign-on button")
        assert button.text == "Sign in with Example ID"
        button.click()
        wait(browser, lambda d: css(d, "#email"), what="the provider's sign-in form")
        browser.find_element(By.ID, "email").send_keys("marta@example.com")
        browser.find_element(By.ID, "approve").click()
        wait(browser, lambda d: css(d, "#inbox-list[data-loaded]"), what="the inbox after single sign-on")
        assert "marta" in browser.find_element(By.ID, "who").text
        screenshot(browser, "console-single-sign-on.png")
        # Signed out, an unknown identity comes back to the sign-in page with the reason.
        browser.find_element(By.ID, "sign-out").click()
        wait(browser, lambda d: css(d, "#sso-signin"), what="the sign-in page")
        css(browser, "#sso-signin").click()
        wait(browser, lambda d: css(d, "#email"), what="the provider's form")
        browser.find_element(By.ID, "email").send_keys("nobody@example.com")
        browser.find_element(By.ID, "approve").click()
        wait(browser, lambda d: "unmapped_identity" in (css(d, "#signin-error").text if css(d, "#signin-error") else ""),
             what="the refusal on the sign-in page")
    finally:
        browser.quit()
    assert any(e["action"] == "sign_in" and e["actor"] == "marta" and e["details"]["method"] == "oidc" for e in audit(gw))
    assert any(e["action"] == "sign_in_refused" and e["details"]["email"] == "nobody@example.com" for e in audit(gw))
