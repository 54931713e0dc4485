"""Mailboxes that need OAuth2 (issue 17, part 2), against a real Dovecot and a loopback provider.

Dovecot's `oauth2` passdb accepts SASL XOAUTH2/OAUTHBEARER logins whose bearer token the test's
provider (support/oauth2_provider.py) says is active; the same provider is the token endpoint the
gateway asks for access tokens (refresh-token grant), rotates refresh tokens, and can revoke them.
The SMTP sink takes XOAUTH2 logins checked against the same provider. Nothing is mocked: the
gateway's libcurl speaks SASL to Dovecot and aiosmtpd, and its HTTP transport speaks to the
provider.
"""
from __future__ import annotations

import re
import sqlite3
import subprocess
import time

import pytest

from conftest import BIN, metric, wait_until
from oauth2_provider import OAuth2Provider
from test_email import ADDRESS, MAIL, SLOW, compose, email_adapter, mail_env, reply, wait_inbound, wait_sent
from test_imap_sync import caught_up

SCOPE = "https://mail.example/IMAP https://mail.example/SMTP offline_access"
SECRET_ENV, REFRESH_ENV = "SB_OAUTH_CLIENT_SECRET", "SB_OAUTH_REFRESH_TOKEN"


@pytest.fixture
def provider_factory():
    providers: list[OAuth2Provider] = []

    def make(**kwargs) -> OAuth2Provider:
        providers.append(OAuth2Provider(**kwargs).start())
        return providers[-1]

    yield make
    for provider in providers:
        provider.stop()


def oauth2_block(provider: OAuth2Provider, mechanism: str = "xoauth2") -> dict:
    return {"token_url": provider.token_url, "client_id": provider.client_id, "client_secret_env": SECRET_ENV,
            "refresh_token_env": REFRESH_ENV, "scope": SCOPE, "mechanism": mechanism}


def oauth2_gateway(gateway, smtp_url: str, dovecot, provider: OAuth2Provider, refresh_token: str,
                   mechanism: str = "xoauth2", smtp_oauth2: bool = False, smtp_mechanism: str = "xoauth2"):
    adapter = email_adapter(smtp_url, dovecot)
    adapter["imap"] = {"url": dovecot.url, "user": dovecot.user, "auth": "oauth2",
                       "oauth2": oauth2_block(provider, mechanism), "poll": "1s"}
    if smtp_oauth2:
        adapter["smtp"] = {"url": smtp_url, "user": dovecot.user, "auth": "oauth2",
                           "oauth2": oauth2_block(provider, smtp_mechanism)}
    env = mail_env(**{SECRET_ENV: provider.client_secret, REFRESH_ENV: refresh_token})
    return gateway({"adapters": [adapter]}, env=env)


def adapter_state(gw) -> str:
    return gw.session.get(f"{gw.url}/readyz", timeout=10).json()["adapters"][MAIL]


def deliver_and_wait(gw, dovecot, tag: str) -> dict:
    raw, mid = compose(f"Customer {tag} <{tag}@customer.example>", f"Order {tag}", f"Where is order {tag}?")
    dovecot.deliver(raw)
    conversation, _ = wait_inbound(gw, mid)
    return conversation


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_mail_is_fetched_with_an_oauth2_token_and_a_token_that_expires_mid_run_is_refreshed(
        gateway, smtp_sink, dovecot_factory, provider_factory, mechanism):
    provider = provider_factory(lifetime=4)
    dovecot = dovecot_factory(oauth2_introspection=provider.introspection_url)
    gw = oauth2_gateway(gateway, smtp_sink.url, dovecot, provider, provider.issue_refresh_token(), mechanism)
    deliver_and_wait(gw, dovecot, f"first-{mechanism}")
    first_grants = len(provider.successful_grants())
    assert first_grants >= 1
    # Past the first token's end: reading goes on with new tokens, fetched before the old ones expired.
    time.sleep(6)
    deliver_and_wait(gw, dovecot, f"second-{mechanism}")
    grants = provider.successful_grants()
    assert len(grants) > first_grants, "a new access token was fetched"
    assert all(g.grant_type == "refresh_token" and g.scope == SCOPE for g in grants)
    assert provider.refused_introspections() == 0, "no expired token was ever presented to Dovecot"
    caught_up(gw)
    assert adapter_state(gw) == "running"
    log = (dovecot.dir / "dovecot.log").read_text(errors="replace")
    assert f"method={mechanism.upper()}" in log or mechanism.upper() in log.upper(), log[-2000:]
    # Secrets never reach the gateway's log.
    stderr = gw.stderr()
    assert provider.client_secret not in stderr and "ya29." not in stderr and "1//rt-" not in stderr


def test_a_token_the_server_refuses_is_replaced_once_and_fetching_continues(
        gateway, smtp_sink, dovecot_factory, provider_factory):
    provider = provider_factory(lifetime=3600)
    dovecot = dovecot_factory(oauth2_introspection=provider.introspection_url)
    gw = oauth2_gateway(gateway, smtp_sink.url, dovecot, provider, provider.issue_refresh_token())
    deliver_and_wait(gw, dovecot, "before-revocation")
    grants = len(provider.successful_grants())
    # The provider revokes the access token long before its announced end: Dovecot refuses it,
    # and the gateway gets a new one instead of waiting an hour.
    provider.revoke_access_tokens()
    deliver_and_wait(gw, dovecot, "after-revocation")
    assert len(provider.successful_grants()) == grants + 1
    assert provider.refused_introspections() >= 1


def test_a_rotated_refresh_token_is_stored_and_used_after_a_restart(gateway, smtp_sink, dovecot_factory, provider_factory):
    provider = provider_factory(lifetime=3600, rotate=True)
    dovecot = dovecot_factory(oauth2_introspection=provider.introspection_url)
    configured = provider.issue_refresh_token()
    gw = oauth2_gateway(gateway, smtp_sink.url, dovecot, provider, configured)
    deliver_and_wait(gw, dovecot, "rotation-1")
    rotated = provider.latest_refresh_token()
    assert rotated and rotated != configured
    assert not provider.refresh_token_valid(configured), "the provider refuses the old refresh token now"
    with sqlite3.connect(f"file:{gw.db_path}?mode=ro", uri=True, timeout=10) as db:
        [(adapter_id, value)] = db.execute("SELECT adapter_id, value FROM adapter_values").fetchall()
    assert adapter_id == MAIL and rotated in value and configured not in value
    # Restarted with the same environment (the configured token, refused by now): the stored one is used.
    before = len(provider.grants)  # counted first: the gateway asks for a token as soon as it starts
    gw.restart()
    deliver_and_wait(gw, dovecot, "rotation-2")
    after_restart = provider.grants[before:]
    assert after_restart and after_restart[0].refresh_token == rotated and after_restart[0].error is None, after_restart
    assert all(g.error is None for g in after_restart)
    status, answer = provider.post("/token", {"grant_type": "refresh_token", "refresh_token": configured,
                                              "client_id": provider.client_id, "client_secret": provider.client_secret})
    assert (status, answer["error"]) == (400, "invalid_grant")
    assert adapter_state(gw) == "running"


def test_a_revoked_refresh_token_shows_in_readyz_with_the_providers_error_and_a_new_one_recovers(
        gateway, smtp_sink, dovecot_factory, provider_factory):
    provider = provider_factory(lifetime=3, rotate=True)
    dovecot = dovecot_factory(oauth2_introspection=provider.introspection_url)
    gw = oauth2_gateway(gateway, smtp_sink.url, dovecot, provider, provider.issue_refresh_token())
    deliver_and_wait(gw, dovecot, "before-revoke")
    provider.revoke_refresh_tokens()
    expected = "degraded: oauth2 token refresh failed: invalid_grant: Token has been expired or revoked."
    wait_until(lambda: adapter_state(gw) == expected, SLOW, interval=0.3, what="the revoked refresh token in /readyz")
    text = gw.session.get(f"{gw.url}/metrics", timeout=10).text
    assert metric(text, "switchboard_adapter_up", adapter=MAIL) == 0
    raw, mid = compose("Waiting <waiting@customer.example>", "Meanwhile", "written while the token was revoked")
    dovecot.deliver(raw)
    # The operator consents again: a new refresh token in the environment wins over the stored one.
    gw.stop()
    gw.env[REFRESH_ENV] = provider.issue_refresh_token()
    gw.start()
    wait_inbound(gw, mid)
    wait_until(lambda: adapter_state(gw) == "running", SLOW, interval=0.3, what="running again")
    text = gw.session.get(f"{gw.url}/metrics", timeout=10).text
    assert metric(text, "switchboard_adapter_up", adapter=MAIL) == 1


def test_a_provider_outage_is_reported_and_recovers_by_itself(gateway, smtp_sink, dovecot_factory, provider_factory):
    provider = provider_factory(lifetime=2)
    dovecot = dovecot_factory(oauth2_introspection=provider.introspection_url)
    gw = oauth2_gateway(gateway, smtp_sink.url, dovecot, provider, provider.issue_refresh_token())
    deliver_and_wait(gw, dovecot, "before-outage")
    provider.fail_with(503, "temporarily_unavailable", "The service is temporarily overloaded.")
    expected = "degraded: oauth2 token refresh failed: temporarily_unavailable: The service is temporarily overloaded."
    wait_until(lambda: adapter_state(gw) == expected, SLOW, interval=0.3, what="the provider's outage in /readyz")
    raw, mid = compose("Patient <patient@customer.example>", "During the outage", "written during the outage")
    dovecot.deliver(raw)
    provider.heal()
    wait_inbound(gw, mid)
    wait_until(lambda: adapter_state(gw) == "running", SLOW, interval=0.3, what="running again")


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_a_reply_is_sent_over_smtp_with_an_oauth2_token(gateway, smtp_sink_factory, dovecot_factory, provider_factory,
                                                        mechanism):
    provider = provider_factory(lifetime=3600, rotate=True)
    dovecot = dovecot_factory(oauth2_introspection=provider.introspection_url)
    sink = smtp_sink_factory(oauth2_introspection=provider.introspection_url)
    # IMAP and SMTP with the same client and refresh token share one token source: with rotation,
    # two would refuse each other's refresh token.
    gw = oauth2_gateway(gateway, sink.url, dovecot, provider, provider.issue_refresh_token(), smtp_oauth2=True,
                        smtp_mechanism=mechanism)
    conversation = deliver_and_wait(gw, dovecot, "smtp")
    r = reply(gw, conversation["owner"], conversation["id"], "Your order left our warehouse today.")
    wait_sent(gw, conversation["id"], r["id"])
    [mail] = [m for m in sink.messages() if "warehouse" in m.raw.decode(errors="replace")]
    assert mail.auth_login == ADDRESS and mail.auth_mechanism == mechanism.upper()
    assert all(g.error is None for g in provider.grants), provider.grants
    assert adapter_state(gw) == "running"


BROKEN = """\
storage:
  sqlite: {db}
agents:
  - {{ id: ana, name: "Ana", role: agent, teams: [support], token_env: SB_TOKEN_ANA }}
adapters:
  - id: support-mail
    type: email
    team: support
    address: support@example.com
    open: true
    smtp:
      url: smtp://127.0.0.1:2525
      user: support@example.com
      auth: oauth2
      oauth2:
        token_url: http://login.example/token
        client_id: switchboard
        refresh_token_env: SB_UNSET_REFRESH
    imap:
      url: imap://127.0.0.1/INBOX
      auth: oauth2
      password_env: SB_IMAP_PASSWORD
      oauth2:
        client_id: switchboard
"""
#  16: token_url not https; 18: refresh env unset; 20 (the imap block): no user; 22: password_env with
#  oauth2; 24 (the oauth2 block): no token_url, and client credentials without a client secret
EXPECTED = {16: ["token endpoint must be https://"], 18: ["SB_UNSET_REFRESH is not set"], 20: ["needs 'user'"],
            22: ["password_env is not used"], 24: ["missing required key 'token_url'", "client-credentials grant"]}


def test_check_config_names_the_line_of_each_oauth2_mistake(tmp_path):
    path = tmp_path / "switchboard.yaml"
    path.write_text(BROKEN.format(db=tmp_path / "db.sqlite"))
    result = subprocess.run([BIN, "check-config", "--config", str(path)], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "SB_TOKEN_ANA": "t" * 40, "SB_IMAP_PASSWORD": "p"})
    assert result.returncode == 1, result
    problems: dict[int, list[str]] = {}
    for line in (result.stdout + result.stderr).splitlines():
        m = re.match(rf"^{re.escape(str(path))}:(\d+): (.+)$", line)
        assert m, f"not PATH:LINE: message: {line!r}"
        problems.setdefault(int(m.group(1)), []).append(m.group(2))
    assert sorted(problems) == sorted(EXPECTED), problems
    for line, words in EXPECTED.items():
        for word in words:
            assert any(word in problem for problem in problems[line]), (line, word, problems[line])
