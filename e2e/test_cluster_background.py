"""Once-per-cluster background work on two gateways sharing one real PostgreSQL: the phone-log adapter's
`watch:` (tailing an Asterisk Master.csv) and the e-mail adapter's IMAP polling (a real Dovecot) run on
the elected gateway only — its `switchboard_adapter_running` gauge reads 1, the other's 0, `/readyz`
says which is the leader — and each call and mail is stored once. SIGKILL the leader: the other takes
over within seconds, rows appended and mail delivered after the kill arrive, nothing doubled.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest

from conftest import AGENTS, base_config, unique, wait_until
from test_cluster import PostgresGateway, database, postgres  # noqa: F401  (fixtures)

PBX = "pbx"
MAIL = "support-mail"


def cdr_row(uniqueid: str, src: str) -> str:
    return (f'"","{src}","910000000","from-pstn","""Caller"" <{src}>","PJSIP/trunk-01","PJSIP/1001-02","Dial",'
            f'"PJSIP/1001,30","2024-06-10 08:00:00","2024-06-10 08:00:05","2024-06-10 08:01:00",60,30,"ANSWERED",'
            f'"DOCUMENTATION","{uniqueid}",""')


class CDRFile:
    """The PBX's Master.csv: rows are appended as Asterisk does, one write per row."""

    def __init__(self, path):
        self.path = path
        self.path.write_text("")
        self.ids: list[str] = []
        self.base = uuid.uuid4().int % 10**6

    def append(self, n: int):
        with open(self.path, "a") as f:
            for _ in range(n):
                i = len(self.ids)
                uid = f"1718{self.base:06d}.{i}"
                f.write(cdr_row(uid, f"0034600{self.base % 1000:03d}{i:03d}") + "\n")
                f.flush()
                self.ids.append(uid)


def mail(n: int) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"] = f"Client {n} <client{n}-{uuid.uuid4().hex[:6]}@customer.example>"
    msg["To"] = "Example Support <support@example.com>"
    msg["Subject"] = f"Question {n}"
    msg["Date"] = formatdate(localtime=True)
    mid = make_msgid(idstring=unique("c"), domain="client.example")
    msg["Message-ID"] = mid
    msg.set_content(f"Hello, question number {n}.")
    return bytes(msg), mid.strip("<>")


@pytest.fixture
def background_cluster(tmp_path, receiver, database, smtp_sink, dovecot):  # noqa: F811
    """Two gateways on one database, each with the same phone-log `watch:` file and IMAP mailbox."""
    cdr = CDRFile(tmp_path / "Master.csv")
    started: list[PostgresGateway] = []

    def make():
        for _ in range(2):
            workdir = tmp_path / f"gw{len(started)}"
            workdir.mkdir()
            config = base_config(workdir, receiver.url)
            config["storage"] = {"postgres": database}
            config["adapters"] += [
                {"id": PBX, "type": "phone-log", "team": "support", "format": "asterisk-cdr", "country_code": "34",
                 "watch": str(cdr.path), "poll": "250ms"},
                {"id": MAIL, "type": "email", "team": "support", "address": "support@example.com",
                 "name": "Example Support", "smtp": {"url": smtp_sink.url}, "secret_env": "SB_MAIL_SECRET",
                 "imap": {"url": dovecot.url, "user": dovecot.user, "password_env": "SB_IMAP_PASSWORD", "poll": "1s"}},
            ]
            tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
            env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
            env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
            env["SHOP_CHAT_SECRET"] = "whsec-" + uuid.uuid4().hex
            env["SB_IMAP_PASSWORD"] = dovecot.password
            env["SB_MAIL_SECRET"] = "mail-" + uuid.uuid4().hex
            gw = PostgresGateway(workdir, config, env, tokens, env["SHOP_CHAT_SECRET"])
            started.append(gw)
            gw.start()
        return started

    yield make, cdr
    for gw in started:
        gw.stop()
        gw.session.close()


def gauge(gw, adapter: str) -> float | None:
    text = gw.session.get(f"{gw.url}/metrics", timeout=10).text
    m = re.search(r'^switchboard_adapter_running\{adapter="' + re.escape(adapter) + r'"\} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None


def is_leader(gw) -> bool:
    r = gw.session.get(f"{gw.url}/readyz", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["leader"]


def inbound_ids(gw, adapter: str) -> list[str]:
    """External ids of the inbound messages through `adapter`, with repeats."""
    ids = []
    for c in gw.conversations():
        for m in gw.get_json("marta", f"conversations/{c['id']}")["messages"]:
            if m["direction"] == "inbound" and m["adapter"] == adapter:
                ids.append(m["external_id"])
    return ids


def stored(gw, adapter, count, timeout, what):
    return wait_until(lambda: (lambda ids: ids if len(ids) >= count else None)(inbound_ids(gw, adapter)),
                      timeout, interval=0.25, what=what)


def test_only_the_leader_tails_the_cdr_file_and_polls_imap_and_the_work_moves_when_it_dies(background_cluster, dovecot):
    make, cdr = background_cluster
    cdr.append(5)
    mails = [mail(i) for i in range(2)]
    for raw, _ in mails:
        dovecot.deliver(raw)
    a, b = make()

    [leader] = wait_until(lambda: (lambda ls: ls if len(ls) == 1 else None)([g for g in (a, b) if is_leader(g)]),
                          15, interval=0.2, what="exactly one leader")
    follower = b if leader is a else a
    stored(follower, PBX, 5, 15, "the file's calls")
    stored(follower, MAIL, 2, 30, "the mailbox's mail")

    # Only the leader runs them: its gauges read 1, the follower's 0, and stay so.
    for adapter in (PBX, MAIL):
        assert gauge(leader, adapter) == 1, leader.stderr()
        assert gauge(follower, adapter) == 0, follower.stderr()
    assert not is_leader(follower)

    cdr.append(5)
    stored(follower, PBX, 10, 10, "the appended calls")

    # The leader dies. The other gateway takes the role within seconds and reads what came meanwhile.
    leader.kill()
    killed_at = time.monotonic()
    cdr.append(5)
    late = [mail(10 + i) for i in range(2)]
    for raw, _ in late:
        dovecot.deliver(raw)
    wait_until(lambda: is_leader(follower), 15, interval=0.1, what="the follower taking over")
    took_over = time.monotonic() - killed_at
    calls = stored(follower, PBX, 15, 15, "the calls appended after the kill")
    arrived = time.monotonic() - killed_at
    mails_stored = stored(follower, MAIL, 4, 30, "the mail delivered after the kill")
    print(f"\ntakeover after SIGKILL: leader in {took_over:.1f}s, new CDR rows stored {arrived:.1f}s after the kill")
    assert gauge(follower, PBX) == 1 and gauge(follower, MAIL) == 1

    time.sleep(1.5)  # a few more polls: nothing read twice
    calls = inbound_ids(follower, PBX)
    mails_stored = inbound_ids(follower, MAIL)
    assert sorted(calls) == sorted(cdr.ids), "each call stored exactly once"
    assert sorted(mails_stored) == sorted(mid for _, mid in mails + late), "each mail stored exactly once"
    assert len(follower.conversations()) == 15 + 4
