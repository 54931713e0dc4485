"""The attacks of issue 15 on the HTTP server, sign-in and start-up, rerun against the real binary.

Each test reproduces what an outsider did and shows it no longer does harm: a console session
outliving a rotated token; slowloris connections and a flood of connections; raced, probing and
locking password guesses; fast bearer-token guessing; `identity_taken` naming another agent's
customer; a path in an attachment's download name; and start-up failures that left a silent
process behind. Different source addresses are real: Linux routes all of 127.0.0.0/8 to loopback,
so a client bound to 127.0.0.7 is, to the gateway, another machine.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest
import requests
import yaml
from requests.adapters import HTTPAdapter

from conftest import ADAPTER, BIN, base_config, unique, wait_until

PASSWORD = "correct horse battery"


class SourceAdapter(HTTPAdapter):
    """Sends requests from a given local address."""

    def __init__(self, source: str, **kw):
        self.source = source
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)


def from_address(source: str) -> requests.Session:
    """A requests session whose connections come from `source` (an address in 127.0.0.0/8)."""
    s = requests.Session()
    adapter = SourceAdapter(source)
    s.mount("http://", adapter)
    return s


def set_password(gw, agent, password=PASSWORD):
    r = subprocess.run([BIN, "agents", "passwd", agent, "--config", str(gw.config_path)], input=password + "\n",
                       env=gw.env, cwd=gw.workdir, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def sign_in(session, gw, **body):
    return session.post(gw.url + "/console/session", json=body, timeout=60)


def host_port(gw):
    host, port = gw.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def closed_after(sock: socket.socket, trickle: bytes, limit: float) -> float:
    """Sends `trickle` one byte a second until the server closes; returns the seconds it took."""
    started = time.monotonic()
    sock.settimeout(1.0)
    for byte in trickle:
        if time.monotonic() - started > limit:
            break
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - started
    raise AssertionError(f"the connection was still open after {limit} s")


# ---------------------------------------------------------------------------------------------
# 1. console sessions and rotated tokens


def test_session_opened_with_a_token_ends_when_the_token_is_rotated(gateway):
    gw = gateway()
    set_password(gw, "luis")
    by_token = requests.Session()
    assert sign_in(by_token, gw, token=gw.tokens["ana"]).status_code == 201
    by_password = requests.Session()
    assert sign_in(by_password, gw, agent="luis", password=PASSWORD).status_code == 201
    assert by_token.get(gw.url + "/api/v1/me", timeout=5).json()["id"] == "ana"

    # Same token after a restart: the session goes on.
    gw.restart()
    assert by_token.get(gw.url + "/api/v1/me", timeout=5).status_code == 200

    # The operator rotates ana's token (she lost a laptop) and restarts: the old session is dead.
    gw.tokens["ana"] = "rotated-" + unique("ana") * 3
    gw.env["SB_TOKEN_ANA"] = gw.tokens["ana"]
    gw.restart()
    r = by_token.get(gw.url + "/api/v1/me", timeout=5)
    assert r.status_code == 401, r.text
    # The old token itself is refused; the new one works; luis's password session is untouched.
    assert gw.api(None, "GET", "me", token="x" * 40).status_code == 401
    assert gw.api("ana", "GET", "me").status_code == 200
    assert by_password.get(gw.url + "/api/v1/me", timeout=5).json()["id"] == "luis"
    # Only hashes are stored: neither the token nor the cookie is in the database file.
    data = gw.db_path.read_bytes() + (gw.db_path.with_name(gw.db_path.name + "-wal").read_bytes()
                                      if gw.db_path.with_name(gw.db_path.name + "-wal").exists() else b"")
    assert gw.tokens["ana"].encode() not in data and by_password.cookies["sb_session"].encode() not in data


def test_agents_signout_ends_every_session_of_that_agent_only(gateway):
    gw = gateway()
    set_password(gw, "ana")
    first, second, other = requests.Session(), requests.Session(), requests.Session()
    assert sign_in(first, gw, token=gw.tokens["ana"]).status_code == 201
    assert sign_in(second, gw, agent="ana", password=PASSWORD).status_code == 201
    assert sign_in(other, gw, token=gw.tokens["luis"]).status_code == 201

    r = subprocess.run([BIN, "agents", "signout", "ana", "--config", str(gw.config_path)], env=gw.env, cwd=gw.workdir,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "2 console sessions ended" in r.stdout, r.stdout
    assert first.get(gw.url + "/api/v1/me", timeout=5).status_code == 401
    assert second.get(gw.url + "/api/v1/me", timeout=5).status_code == 401
    assert other.get(gw.url + "/api/v1/me", timeout=5).status_code == 200

    r = subprocess.run([BIN, "agents", "signout", "ghost", "--config", str(gw.config_path)], env=gw.env, cwd=gw.workdir,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "ghost" in r.stderr


# ---------------------------------------------------------------------------------------------
# 2. slowloris, idle connections, the connection cap


LIMITS = {"server": {"header_timeout": "2s", "body_timeout": "2s", "idle_timeout": "3s"}}


def test_trickled_header_and_body_are_cut_off_and_nothing_is_stored(gateway):
    gw = gateway(LIMITS)
    # A header sent one byte a second: closed after the header timeout, not kept forever.
    with socket.create_connection(host_port(gw)) as sock:
        took = closed_after(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100, limit=20)
    assert 1.5 <= took <= 8, took

    # A complete header, then a body trickled a byte a second: closed after the body timeout.
    body = json.dumps({"id": unique("slow"), "from": "slow@example.com", "text": "x" * 200}).encode()
    head = (f"POST /hooks/{ADAPTER} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(host_port(gw)) as sock:
        sock.sendall(head)
        took = closed_after(sock, body, limit=20)
    assert took <= 8, took
    assert gw.conversations() == []

    # On a kept-alive connection, quick requests first and then a trickled header: the clock of the
    # slow request still runs out (the connection's timer, set by the first request, moves on to it).
    with socket.create_connection(host_port(gw)) as sock:
        sock.settimeout(5)
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while b'"alive"}' not in answer:
                answer += sock.recv(4096)
            time.sleep(0.5)
        took = closed_after(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100, limit=20)
    assert 1.5 <= took <= 8, took

    # Normal clients are not affected.
    assert requests.get(gw.url + "/healthz", timeout=5).status_code == 200
    gw.ingest(unique("m"), "fast@example.com", "hello")


def test_idle_keep_alive_connection_is_closed_but_the_event_stream_is_not(gateway):
    gw = gateway(LIMITS)
    # An idle kept-alive connection is closed after idle_timeout.
    with socket.create_connection(host_port(gw)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        answer = b""
        while b'"alive"}' not in answer:  # head and body may come in separate segments
            answer += sock.recv(4096)
        assert b" 200 " in answer
        started = time.monotonic()
        assert sock.recv(4096) == b""  # the server closed it
        assert time.monotonic() - started <= 8

    # The live stream is a response being written: no read timeout cuts it, however quiet.
    stream = requests.get(gw.url + "/api/v1/events", headers={"Authorization": f"Bearer {gw.tokens['marta']}"},
                          stream=True, timeout=30)
    assert stream.status_code == 200
    lines = stream.iter_lines()
    time.sleep(7)  # past every timeout above, with no event and no heartbeat (every 15 s)
    gw.ingest(unique("m"), "live@example.com", "still there?")
    deadline = time.monotonic() + 10
    seen = []
    while time.monotonic() < deadline:
        line = next(lines).decode()
        seen.append(line)
        if line.startswith("event: message.created"):
            break
    else:
        raise AssertionError(f"no event on the stream: {seen}")
    stream.close()


def test_connections_over_the_cap_are_refused_while_the_others_are_served(gateway):
    gw = gateway({"server": {"max_connections": 5}})
    held = [socket.create_connection(host_port(gw)) for _ in range(5)]
    try:
        time.sleep(0.3)
        # One more: answered 503 and closed, not left hanging.
        with socket.create_connection(host_port(gw)) as extra:
            extra.settimeout(10)
            answer = b""
            while chunk := extra.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"too_many_connections" in answer
        # The connections already open are served.
        held[0].settimeout(10)
        held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert held[0].recv(4096).startswith(b"HTTP/1.1 200 ")
        # Once some close, new clients get in again.
        for sock in held[3:]:
            sock.close()
        wait_until(lambda: requests.get(gw.url + "/healthz", timeout=5).status_code == 200, timeout=10,
                   what="a free connection slot")
    finally:
        for sock in held:
            sock.close()


# ---------------------------------------------------------------------------------------------
# 3. password guessing


def test_forty_parallel_guesses_get_five_checks_and_the_owner_still_signs_in(gateway):
    gw = gateway()
    set_password(gw, "ana")
    attacker = from_address("127.0.0.9")

    def guess(i):
        r = sign_in(attacker, gw, agent="ana", password=f"guess-{i}")
        return r.status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(guess, range(40)))
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 35, statuses
    # Even the right password from that address waits now.
    r = sign_in(attacker, gw, agent="ana", password=PASSWORD)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # The owner, elsewhere, is not locked out by the stranger.
    assert sign_in(from_address("127.0.0.10"), gw, agent="ana", password=PASSWORD).status_code == 201


def test_unknown_agents_are_answered_like_known_ones_and_throttled_before_hashing(gateway):
    gw = gateway()
    set_password(gw, "ana")
    known = sign_in(from_address("127.0.0.11"), gw, agent="ana", password="wrong")
    unknown = sign_in(from_address("127.0.0.12"), gw, agent="nobody-here", password="wrong")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (401, known.content)

    # Nor does the work behind it: an unknown agent's password is hashed like a known one's
    # (CPU time of the gateway, so the comparison does not depend on the machine's load).
    def cpu_for(agent, first_octet):
        before = cpu_seconds(gw.proc.pid)
        for n in range(3):
            assert sign_in(from_address(f"127.0.2.{first_octet + n}"), gw, agent=agent, password="wrong").status_code == 401
        return cpu_seconds(gw.proc.pid) - before
    known_cpu, unknown_cpu = cpu_for("ana", 1), cpu_for("nobody-at-all", 11)
    assert known_cpu > 0.05 and unknown_cpu > 0.5 * known_cpu, (known_cpu, unknown_cpu)

    # The 429 does not tell them apart either.
    def exhaust(source, agent):
        s = from_address(source)
        for _ in range(5):
            assert sign_in(s, gw, agent=agent, password="wrong").status_code == 401
        r = sign_in(s, gw, agent=agent, password="wrong")
        assert r.status_code == 429
        return r.json()["error"]["code"], r.json()["error"]["message"].split(" in ")[0]
    assert exhaust("127.0.0.13", "ana") == exhaust("127.0.0.14", "nobody-here")

    # Once throttled, guesses cost no hashing: fifty more burn well under one PBKDF2 each.
    s = from_address("127.0.0.14")
    before = cpu_seconds(gw.proc.pid)
    for _ in range(50):
        assert sign_in(s, gw, agent=unique("ghost"), password="wrong").status_code == 429
    spent = cpu_seconds(gw.proc.pid) - before
    assert spent < 2.0, f"{spent:.2f} s of CPU for 50 throttled sign-ins: they were hashed"


def test_guesses_from_many_addresses_slow_the_account_but_not_its_owner(gateway):
    gw = gateway()
    set_password(gw, "luis")
    home = from_address("127.0.0.20")
    assert sign_in(home, gw, agent="luis", password=PASSWORD).status_code == 201  # the owner's usual address
    # Strangers spread over addresses use up the account's allowance (20 failures).
    for n in range(4):
        s = from_address(f"127.0.1.{n + 1}")
        for _ in range(5):
            assert sign_in(s, gw, agent="luis", password="wrong").status_code == 401
    fresh = sign_in(from_address("127.0.1.99"), gw, agent="luis", password="wrong")
    assert fresh.status_code == 429, "a new address meets the account's limit"
    # The owner at home still signs in.
    assert sign_in(home, gw, agent="luis", password=PASSWORD).status_code == 201


# ---------------------------------------------------------------------------------------------
# 4. bearer tokens


def test_bearer_guessing_is_throttled_per_address(gateway):
    gw = gateway()
    guesser = from_address("127.0.0.30")
    statuses = [guesser.get(gw.url + "/api/v1/me", headers={"Authorization": f"Bearer guess-{i:032d}"}, timeout=10)
                for i in range(30)]
    codes = [r.status_code for r in statuses]
    # Twenty at once, then one every 3 s (a slow machine may earn one more meanwhile).
    assert codes[:20] == [401] * 20 and codes.count(401) <= 22 and set(codes[-5:]) == {429}, codes
    assert int(statuses[-1].headers["Retry-After"]) >= 1
    # While throttled, even a right token from there learns nothing: no oracle.
    assert guesser.get(gw.url + "/api/v1/me", headers={"Authorization": f"Bearer {gw.tokens['ana']}"},
                       timeout=10).status_code == 429
    # Console token sign-in is the same guess by another door.
    assert sign_in(guesser, gw, token="guess-" + "0" * 40).status_code == 429
    # Everyone else is served.
    assert gw.api("ana", "GET", "me").status_code == 200
    assert from_address("127.0.0.31").get(gw.url + "/api/v1/me", headers={"Authorization": f"Bearer {gw.tokens['ana']}"},
                                          timeout=10).status_code == 200


# ---------------------------------------------------------------------------------------------
# 5. identity_taken


def test_identity_taken_does_not_name_another_agents_customer(gateway):
    gw = gateway()
    first = gw.conversation_of(gw.ingest(unique("m"), "first@example.com", "hello"))
    second = gw.conversation_of(gw.ingest(unique("m"), "second@example.com", "hello"))
    assert first["owner"] != second["owner"]
    taken = second["customer"]["identities"][0]
    r = gw.api(first["owner"], "POST", f"customers/{first['customer']['id']}/identities",
               json={"channel": taken["channel"], "address": taken["address"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "identity_taken", r.text
    message = r.json()["error"]["message"]
    assert "another customer" in message and str(second["customer"]["id"]) not in message, message
    # A supervisor sees everyone's customers anyway, and is told whom to merge.
    r = gw.api("marta", "POST", f"customers/{first['customer']['id']}/identities",
               json={"channel": taken["channel"], "address": taken["address"]})
    assert r.status_code == 409 and f"customer {second['customer']['id']}" in r.json()["error"]["message"], r.text


# ---------------------------------------------------------------------------------------------
# 6. attachment download names


def test_attachment_download_name_carries_no_path(gateway):
    mail = "support-mail"
    gw = gateway({"adapters": [{"id": mail, "type": "email", "team": "support", "address": "support@example.com",
                                "open": True, "smtp": {"url": "smtp://127.0.0.1:9"}}]})
    msg = EmailMessage()
    msg["From"] = "Mallory <mallory@example.net>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "invoice"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="example.net")
    msg.set_content("see attached")
    msg.add_attachment(b"#!/bin/sh\necho owned\n", maintype="application", subtype="octet-stream",
                       filename="../../.bashrc\\..\\évil\"name.sh")
    r = gw.post_hook(mail, raw=bytes(msg), secret=None, headers={"Content-Type": "message/rfc822"})
    assert r.status_code == 200, r.text
    message_id = r.json()["messages"][0]
    r = gw.api("marta", "GET", f"messages/{message_id}/attachments/0")
    assert r.status_code == 200, r.text
    disposition = r.headers["Content-Disposition"]
    plain = disposition.split('filename="', 1)[1].split('"', 1)[0]
    extended = disposition.split("filename*=UTF-8''", 1)[1]
    assert "/" not in plain and "\\" not in plain and plain.isascii(), disposition
    assert "/" not in extended and "%2F" not in extended.upper() and "%5C" not in extended.upper(), disposition
    assert "%C3%A9vil" in extended, "the UTF-8 name is kept"
    assert r.content == b"#!/bin/sh\necho owned\n"


# ---------------------------------------------------------------------------------------------
# 7. start-up failures


def write_config(tmp_path: Path, **overrides) -> Path:
    config = base_config(tmp_path, "http://127.0.0.1:9/send")
    for key, value in overrides.items():
        config[key] = value if not isinstance(value, dict) else {**config.get(key, {}), **value}
    path = tmp_path / "startup.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
    env.update({f"SB_TOKEN_{a}": f"{a.lower()}-" + "0123456789abcdef" * 3 for a in ("ANA", "LUIS", "MARTA")})
    env["SHOP_CHAT_SECRET"] = "startup-secret"
    env.update(extra)
    return env


def serve(path: Path, env: dict, *args, timeout=30) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run([BIN, "serve", "--config", str(path), *args], capture_output=True, text=True,
                            env=env, cwd=path.parent, timeout=timeout)
    return result, time.monotonic() - started


def test_port_in_use_exits_with_the_reason(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write_config(tmp_path, server={"port": port})
        result, took = serve(path, start_env())
    assert result.returncode != 0
    assert "switchboard listening" not in result.stdout
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "in use" in result.stderr, result.stderr
    assert took < 15, took


def test_unwritable_database_path_exits_with_the_reason(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    path = write_config(tmp_path, storage={"sqlite": str(blocker / "db.sqlite")})
    result, took = serve(path, start_env(), "--port", "0")
    assert result.returncode != 0 and "switchboard listening" not in result.stdout
    assert "database" in result.stderr and str(blocker) in result.stderr, result.stderr
    assert took < 15, took


def test_missing_secret_exits_with_the_reason(tmp_path):
    path = write_config(tmp_path)
    env = start_env()
    del env["SHOP_CHAT_SECRET"]
    result, took = serve(path, env, "--port", "0")
    assert result.returncode != 0 and "switchboard listening" not in result.stdout
    assert "SHOP_CHAT_SECRET is not set" in result.stderr, result.stderr
    assert took < 15, took


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed


def test_unreachable_postgres_exits_within_a_bounded_wait(tmp_path):
    path = write_config(tmp_path, storage={"postgres": f"postgres://switchboard@127.0.0.1:{closed_port()}/switchboard"})
    # `storage` replaces sqlite entirely.
    config = yaml.safe_load(path.read_text())
    config["storage"] = {"postgres": config["storage"]["postgres"]}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    result, took = serve(path, start_env(), "--port", "0", timeout=60)
    assert result.returncode != 0 and "switchboard listening" not in result.stdout
    assert "cannot prepare the database" in result.stderr and "PostgreSQL" in result.stderr, result.stderr
    assert took < 30, took


def test_sigterm_ends_a_gateway_that_is_still_starting(tmp_path):
    path = write_config(tmp_path, storage={"postgres": f"postgres://switchboard@127.0.0.1:{closed_port()}/switchboard"})
    config = yaml.safe_load(path.read_text())
    config["storage"] = {"postgres": config["storage"]["postgres"]}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    proc = subprocess.Popen([BIN, "serve", "--config", str(path), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=start_env(), cwd=tmp_path, text=True)
    try:
        time.sleep(1.5)  # configuration read, waiting for the database
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - started < 5
        assert proc.returncode != 0 and "switchboard listening" not in out
        assert "SIGTERM while starting" in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
