"""A real Postfix (Debian's package, its own main.cf in a temporary directory) delivering to the
gateway over LMTP, as an operator sets it up (`transport_maps` → `lmtp:inet:127.0.0.1:PORT`):
mail submitted to Postfix over SMTP is stored by the gateway and Postfix logs `status=sent` with
the gateway's reply; a recipient the adapter does not know is refused at RCPT (Postfix bounces it);
and with the gateway's database stopped (PostgreSQL), Postfix keeps the mail queued on the `451`
and delivers it once the database is back — nothing lost, stored once.

Skipped, with the reason, where Postfix cannot run (not installed, not root)."""

from __future__ import annotations

import glob
import re
import sys
import time
from pathlib import Path

import pytest

from conftest import metric, wait_until
from test_email import ADDRESS, MAIL, SLOW, compose, inbound_with_external_id, wait_inbound
from test_lmtp import PostgresMailGateway, free_port, lmtp_gateway

SUPPORT = Path(__file__).resolve().parent / "support"
sys.path.insert(0, str(SUPPORT))
from postfix_server import PostfixServer, unavailable  # noqa: E402

if unavailable():
    pytest.skip(unavailable(), allow_module_level=True)


def sent_lines(postfix: PostfixServer, recipient: str) -> list[str]:
    return [line for line in postfix.log().splitlines() if f"to=<{recipient}>" in line and "status=sent" in line]


def test_postfix_delivers_over_lmtp_and_bounces_unknown_recipients(gateway, smtp_sink):
    gw, port = lmtp_gateway(gateway, smtp_sink)
    with PostfixServer(f"inet:127.0.0.1:{port}") as postfix:
        raw, mid = compose("Jordi Puig <jordi@customer.example>", "Comanda 1234", "Where is my order?")
        refused = postfix.send("jordi@customer.example", [ADDRESS, "help@example.com", "nobody@example.com"], raw)
        assert refused == {}, "Postfix accepts for the domain; the gateway decides per recipient"
        detail, message = wait_inbound(gw, mid)
        assert message["body"] == "Where is my order?"
        assert message["metadata"]["envelope_from"] == "jordi@customer.example"
        assert len(inbound_with_external_id(gw, mid)) == 1, "one message for both of our addresses"
        wait_until(lambda: sent_lines(postfix, ADDRESS) and sent_lines(postfix, "help@example.com"), SLOW,
                   what="Postfix logging both deliveries")
        assert re.search(r"status=sent \(250 2\.0\.0 stored as message \d+\)", sent_lines(postfix, ADDRESS)[0])
        bounced = wait_until(lambda: [l for l in postfix.log().splitlines()
                                      if "to=<nobody@example.com>" in l and "status=bounced" in l], SLOW,
                             what="the unknown recipient bounced")
        assert "550 5.1.1" in bounced[0]
        wait_until(lambda: postfix.queue() == [], SLOW, what="an empty Postfix queue")
    assert metric(gw.metrics(), "switchboard_lmtp_deliveries_total", adapter=MAIL, result="stored") == 1


@pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                    reason="PostgreSQL server binaries not installed: apt-get install postgresql")
def test_postfix_keeps_mail_queued_while_the_database_is_down_and_delivers_it_after(tmp_path, receiver, smtp_sink):
    from postgres_server import PostgresServer
    with PostgresServer() as postgres:
        database = f"postgres://{postgres.user}@127.0.0.1:{postgres.port}/postgres"
        port = free_port()
        gw = PostgresMailGateway(tmp_path, receiver.url, smtp_sink.url, database, port).start()
        try:
            with PostfixServer(f"inet:127.0.0.1:{port}") as postfix:
                first, first_id = compose("Marta <marta@customer.example>", "Before", "before the outage")
                postfix.send("marta@customer.example", [ADDRESS], first)
                wait_inbound(gw, first_id)

                postgres.halt()
                during = [compose(f"C{i} <c{i}@customer.example>", f"During {i}", f"while the database is down {i}")
                          for i in range(3)]
                for raw, _ in during:
                    postfix.send("c@customer.example", [ADDRESS], raw)
                deferred = wait_until(lambda: [l for l in postfix.log().splitlines()
                                               if "status=deferred" in l and "451 4.3.0" in l], SLOW,
                                      what="Postfix deferring on the gateway's 451")
                assert "storage unavailable" in deferred[0]
                assert len(postfix.queue()) == 3, "kept queued"
                time.sleep(3)  # a retry or two while the database is still down: still queued
                assert len(postfix.queue()) == 3

                postgres.resume()
                postfix.flush()
                wait_until(lambda: postfix.queue() == [], SLOW + 30, interval=0.5, what="Postfix's queue drained")
                for _, mid in [(first, first_id)] + during:
                    assert len(inbound_with_external_id(gw, mid)) == 1, mid
        finally:
            gw.stop()
            gw.session.close()
