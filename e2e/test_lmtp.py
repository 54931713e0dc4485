"""LMTP (RFC 2033): the MTA delivers straight into the gateway. The real binary with an `email`
adapter's `lmtp:` listener, spoken to with Python's `smtplib.LMTP`: several recipients (one reply
each after the data), pipelining, a message over the size limit (552), an unknown recipient (550),
dot-unstuffing, STARTTLS, `check-config` of the keys, and a storage outage on a real PostgreSQL
(451 while the database is down, everything stored once after it is back, as the MTA retries).

Python's smtplib reads only the first reply after the data; the other recipients' replies are
read with `getreply()`, as RFC 2033 wants them read."""

from __future__ import annotations

import glob
import os
import smtplib
import socket
import stat
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import AGENTS, BIN, Gateway, base_config, deep_merge, metric, unique, wait_until
from test_email import (ADDRESS, MAIL, SLOW, compose, email_adapter, inbound_with_external_id, mail_env, mail_gateway,
                        wait_inbound)

SUPPORT = Path(__file__).resolve().parent / "support"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lmtp_gateway(gateway, smtp_sink, config: dict | None = None, **lmtp):
    """A gateway whose e-mail adapter listens for LMTP on a free loopback port; (gateway, port)."""
    port = free_port()
    settings = {"listen": f"127.0.0.1:{port}", "recipients": ["help@example.com"], **lmtp}
    return mail_gateway(gateway, smtp_sink.url, config=config, lmtp=settings), port


def connect(port: int, timeout: float = SLOW) -> smtplib.LMTP:
    client = smtplib.LMTP("127.0.0.1", port, timeout=timeout)
    code, _ = client.ehlo("mx.test")  # LHLO
    assert code == 250
    return client


def stuffed(raw: bytes) -> bytes:
    """The message as it travels after DATA: CRLF lines, leading dots doubled, the final dot."""
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines) + b".\r\n"


def deliver(client: smtplib.LMTP, sender: str, recipients: list[str], raw: bytes) -> list[tuple[int, bytes]]:
    """One transaction the plain way (no pipelining): the reply of each recipient after the data,
    or the refusal of MAIL / each refused RCPT."""
    code, text = client.mail(sender)
    if code != 250:
        return [(code, text)]
    accepted = []
    refused = []
    for rcpt in recipients:
        code, text = client.rcpt(rcpt)
        (accepted if code == 250 else refused).append((code, text))
    if not accepted:
        client.rset()
        return refused
    code, text = client.data(raw)  # smtplib stuffs the dots and sends the final one
    return [(code, text)] + [client.getreply() for _ in accepted[1:]]


def test_pipelined_delivery_to_several_recipients_gets_one_reply_each_once_stored(gateway, smtp_sink):
    gw, port = lmtp_gateway(gateway, smtp_sink)
    raw, mid = compose("Núria Vidal <nuria@customer.example>", "Factura", "Two lines.\n.A line starting with a dot\n..and two")
    with connect(port) as client:
        for extension in ("pipelining", "enhancedstatuscodes", "size", "8bitmime"):
            assert client.has_extn(extension), client.esmtp_features
        # MAIL, three RCPTs and DATA in one write, as a PIPELINING client (Postfix) sends them.
        client.send("MAIL FROM:<bounces@customer.example>\r\nRCPT TO:<support@example.com>\r\n"
                    "RCPT TO:<nobody@example.com>\r\nRCPT TO:<help@example.com>\r\nDATA\r\n")
        replies = [client.getreply() for _ in range(5)]
        assert [code for code, _ in replies] == [250, 250, 550, 250, 354], replies
        assert replies[2][1].startswith(b"5.1.1"), replies[2]
        client.send(stuffed(raw))
        after = [client.getreply(), client.getreply()]
        assert [code for code, _ in after] == [250, 250], after
        assert all(text.startswith(b"2.0.0 stored as message") for _, text in after), after

        detail, message = wait_inbound(gw, mid)
        assert ".A line starting with a dot\n..and two" in message["body"]
        assert detail["customer"]["identities"][0]["address"] == "nuria@customer.example"
        # The envelope is kept: who the MTA says sent it, and to which of our addresses.
        assert message["metadata"]["envelope_from"] == "bounces@customer.example"
        assert message["metadata"]["envelope_to"] == "support@example.com, help@example.com"

        # The MTA retrying a message whose replies it lost: stored once, 250 again.
        again = deliver(client, "bounces@customer.example", [ADDRESS], raw)
        assert again[0][0] == 250 and b"already stored" in again[0][1], again
        assert len(inbound_with_external_id(gw, mid)) == 1

        # Another message on the same connection, through smtplib's own commands.
        second, second_id = compose("Pau <pau@customer.example>", "Hola", "second on the connection")
        assert [code for code, _ in deliver(client, "pau@customer.example", ["SUPPORT+sales@example.com"], second)] == [250]
        wait_inbound(gw, second_id)
        assert client.quit()[0] == 221

    text = gw.metrics()
    assert metric(text, "switchboard_lmtp_deliveries_total", adapter=MAIL, result="stored") == 2
    assert metric(text, "switchboard_lmtp_deliveries_total", adapter=MAIL, result="duplicate") == 1
    assert metric(text, "switchboard_inbound_messages_total", adapter=MAIL, result="stored") == 2


def test_over_the_size_limit_is_552_and_unknown_recipients_550(gateway, smtp_sink):
    gw, port = lmtp_gateway(gateway, smtp_sink, max_message="20k")
    big, big_id = compose("Big <big@customer.example>", "Photos", "x" * 40_000)
    with connect(port) as client:
        assert client.esmtp_features["size"] == str(20 * 1024)
        # Said up front with SIZE (smtplib sends it): refused at MAIL.
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("big@customer.example", [ADDRESS], big)
        assert refused.value.smtp_code == 552
        # Not said: read to its end, then 552 for each recipient; the connection goes on.
        client.send("MAIL FROM:<big@customer.example>\r\nRCPT TO:<support@example.com>\r\nRCPT TO:<help@example.com>\r\nDATA\r\n")
        assert [client.getreply()[0] for _ in range(4)] == [250, 250, 250, 354]
        client.send(stuffed(big))
        replies = [client.getreply(), client.getreply()]
        assert all(code == 552 and text.startswith(b"5.3.4") for code, text in replies), replies

        # Every recipient unknown: refused one by one, no data taken.
        refused_all = deliver(client, "a@customer.example", ["sales@example.com", "support@other.example"], b"Subject: x\r\n\r\nx\r\n")
        assert [code for code, _ in refused_all] == [550, 550]
        assert client.noop()[0] == 250
    assert inbound_with_external_id(gw, big_id) == []
    assert metric(gw.metrics(), "switchboard_lmtp_deliveries_total", adapter=MAIL, result="too_large") == 1


def test_what_is_not_mail_at_all_is_550_and_mail_without_from_is_kept(gateway, smtp_sink):
    gw, port = lmtp_gateway(gateway, smtp_sink)
    with connect(port) as client:
        junk = deliver(client, "x@customer.example", [ADDRESS], b"\x00\x01\x02 not mail\r\n\r\n\x00")
        assert junk[0][0] == 550 and junk[0][1].startswith(b"5.6.0"), junk
        no_from = (b"To: support@example.com\r\nSubject: DISK CRITICAL on db1\r\nMessage-ID: <"
                   + unique("mon").encode() + b"@monitor.example>\r\n\r\n/var is 98% full\r\n")
        ok = deliver(client, "nagios@monitor.example", [ADDRESS], no_from)
        assert ok[0][0] == 250, ok
    conversation = wait_until(lambda: (gw.conversations() or [None])[0], SLOW, what="the monitoring mail")
    detail = gw.get_json("marta", f"conversations/{conversation['id']}")
    assert detail["customer"]["identities"][0]["address"] == "nagios@monitor.example"
    assert detail["messages"][0]["metadata"]["sender_from"] == "envelope sender"


def test_starttls_is_offered_and_required_when_tls_is_configured(gateway, smtp_sink, tmp_path):
    cert, key = tmp_path / "lmtp.crt", tmp_path / "lmtp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    gw, port = lmtp_gateway(gateway, smtp_sink, tls={"cert_file": str(cert), "key_file": str(key)})
    raw, mid = compose("Laia <laia@customer.example>", "Secret", "over TLS")
    with connect(port) as client:
        assert client.has_extn("starttls")
        assert client.mail("laia@customer.example")[0] == 530
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        assert client.starttls(context=context)[0] == 220
        client.ehlo("mx.test")
        assert not client.has_extn("starttls")
        assert deliver(client, "laia@customer.example", [ADDRESS], raw)[0][0] == 250
    wait_inbound(gw, mid)


def test_a_unix_socket_listener_for_exims_lmtp_transport(gateway, smtp_sink, tmp_path):
    path = tmp_path / "lmtp.sock"
    gw = mail_gateway(gateway, smtp_sink.url, lmtp={"listen": f"unix:{path}"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o660, "the gateway's user and group only"
    raw, mid = compose("Rosa <rosa@customer.example>", "Socket", "through a Unix socket")
    with smtplib.LMTP(str(path), timeout=SLOW) as client:
        client.ehlo("exim.test")
        assert deliver(client, "rosa@customer.example", [ADDRESS], raw)[0][0] == 250
    wait_inbound(gw, mid)


def test_check_config_reports_lmtp_keys_with_their_lines(tmp_path):
    def check(lmtp: dict, extra_adapter: dict | None = None) -> str:
        adapter = {"id": MAIL, "type": "email", "address": ADDRESS, "smtp": {"url": "smtp://127.0.0.1:2525"},
                   "open": True, "lmtp": lmtp}
        adapters = [adapter] + ([extra_adapter] if extra_adapter else [])
        path = tmp_path / f"c-{uuid.uuid4().hex[:6]}.yaml"
        agents = [{"id": "marta", "name": "Marta", "role": "supervisor", "token_env": "SB_TOKEN_MARTA"}]
        path.write_text(yaml.safe_dump({"storage": {"sqlite": str(tmp_path / "x.sqlite")}, "agents": agents,
                                        "adapters": adapters}, sort_keys=False))
        env = dict(os.environ, SB_TOKEN_MARTA="marta-token-" + uuid.uuid4().hex)
        result = subprocess.run([BIN, "check-config", "--config", str(path)], capture_output=True, text=True, timeout=60,
                                env=env)
        return result.stdout + result.stderr

    lines = check({"listen": "0.0.0.0:2424"})
    assert "lmtp.listen: '0.0.0.0:2424' is reachable from other machines" in lines, lines
    assert ".yaml:" in lines.split("lmtp.listen")[0]
    assert "OK" in check({"listen": "0.0.0.0:2424", "insecure": True})
    assert "OK" in check({"listen": "unix:/tmp/sb-lmtp.sock"})
    bad = check({"listen": "127.0.0.1", "max_message": "lots", "recipients": ["not-an-address"], "colour": "blue"})
    for expected in ("is not HOST:PORT", "max_message: 'lots' is not a size", "'not-an-address' is not an e-mail address",
                     "unknown key 'colour'"):
        assert expected in bad, bad
    missing = check({"listen": "127.0.0.1:2424", "tls": {"cert_file": "/nonexistent.pem", "key_file": "/nonexistent.key"}})
    assert "cannot read '/nonexistent.pem'" in missing, missing
    other = {"id": "billing-mail", "type": "email", "address": "billing@example.com", "smtp": {"url": "smtp://127.0.0.1:2525"},
             "open": True, "lmtp": {"listen": "127.0.0.1:2424", "max_connections": 5}}
    shared = check({"listen": "127.0.0.1:2424"}, other)
    assert "share lmtp.listen 127.0.0.1:2424 but differ" in shared, shared
    same = dict(other, lmtp={"listen": "127.0.0.1:2424"})
    assert "OK" in check({"listen": "127.0.0.1:2424"}, same)


# ---------------------------------------------------------------------------------------------
# Storage outage: a gateway on a real PostgreSQL whose server is stopped and started again.

HAS_POSTGRES = bool(glob.glob("/usr/lib/postgresql/*/bin/postgres"))


class PostgresMailGateway(Gateway):
    """conftest's Gateway with `storage: {postgres: URL}` and an LMTP listener on `port`."""

    def __init__(self, workdir: Path, receiver_url: str, smtp_url: str, database: str, port: int):
        import os
        config = deep_merge(base_config(workdir, receiver_url), {"adapters": [
            email_adapter(smtp_url, lmtp={"listen": f"127.0.0.1:{port}", "recipients": ["help@example.com"]})]})
        tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
        env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()}, SHOP_CHAT_SECRET="unused", **mail_env())
        super().__init__(workdir, config, env, tokens, None)
        self.config["storage"] = {"postgres": database}
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False, allow_unicode=True))


@pytest.mark.skipif(not HAS_POSTGRES, reason="PostgreSQL server binaries not installed: apt-get install postgresql")
def test_storage_outage_is_451_and_nothing_is_lost_once_it_ends(tmp_path, receiver, smtp_sink):
    sys.path.insert(0, str(SUPPORT))
    from postgres_server import PostgresServer
    with PostgresServer() as postgres:
        database = f"postgres://{postgres.user}@127.0.0.1:{postgres.port}/postgres"
        port = free_port()
        gw = PostgresMailGateway(tmp_path, receiver.url, smtp_sink.url, database, port).start()
        try:
            before, before_id = compose("Anna <anna@customer.example>", "Before", "stored before the outage")
            during = [compose(f"C{i} <c{i}@customer.example>", f"During {i}", f"sent while the database is down {i}")
                      for i in range(3)]
            with connect(port) as client:
                assert deliver(client, "anna@customer.example", [ADDRESS], before)[0][0] == 250

                postgres.halt()
                started = time.monotonic()
                for raw, _ in during:
                    replies = deliver(client, "c@customer.example", [ADDRESS, "help@example.com"], raw)
                    assert [code for code, _ in replies] == [451, 451], replies
                    assert all(text.startswith(b"4.3.0") for _, text in replies), replies
                assert time.monotonic() - started < 60
                assert client.noop()[0] == 250, "the session goes on"

            postgres.resume()
            # What an MTA does with a 451: keeps the message queued and tries again later.
            pending = list(during)
            deadline = time.monotonic() + SLOW
            while pending and time.monotonic() < deadline:
                with connect(port) as client:
                    for raw, mid in list(pending):
                        replies = deliver(client, "c@customer.example", [ADDRESS, "help@example.com"], raw)
                        codes = [code for code, _ in replies]
                        assert codes in ([250, 250], [451, 451]), replies
                        if codes == [250, 250]:
                            pending.remove((raw, mid))
                if pending:
                    time.sleep(1)
            assert not pending, "the retries were stored once the database was back"
            for _, mid in [(before, before_id)] + during:
                assert len(inbound_with_external_id(gw, mid)) == 1, mid
            text = gw.metrics()
            assert metric(text, "switchboard_lmtp_deliveries_total", adapter=MAIL, result="deferred") >= 3
            assert metric(text, "switchboard_lmtp_deliveries_total", adapter=MAIL, result="stored") == 4
        finally:
            gw.stop()
            gw.session.close()
