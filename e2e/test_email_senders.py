"""No mail is refused for its sender. Mail without a usable From (none at all, `From: foo` without a
domain, a DSN from `MAILER DAEMON <>`) is stored under the first usable address of Sender, Reply-To,
Return-Path or the envelope sender (`mailgate --sender`, LMTP `MAIL FROM`); with none, under the
adapter's "unknown sender" customer, which gets no acknowledgement and no reply until an agent links
an address. Only what is not e-mail at all is refused (mailgate exit 65)."""

from __future__ import annotations

from conftest import unique, wait_until
from test_email import (ADDRESS, MAIL, SLOW, all_messages, compose, inbound_with_external_id, mail_gateway, mailgate,
                        quiet, wait_inbound, wait_sent)

PLACEHOLDER = f"unknown-sender@{MAIL}.invalid"


def senderless(subject: str, headers: bytes = b"") -> tuple[bytes, str]:
    mid = unique("nofrom") + "@client.example"
    raw = (headers + b"To: support@example.com\r\nSubject: " + subject.encode() + b"\r\nMessage-ID: <" + mid.encode()
           + b">\r\n\r\nsomeone wrote this\r\n")
    return raw, mid


def test_mail_without_a_usable_from_falls_back_and_is_never_bounced(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    cases = [
        (b"From: foo\r\nReply-To: Office <office@customer.example>\r\n", (), "office@customer.example", "Reply-To"),
        (b"From: MAILER DAEMON <>\r\nReturn-Path: <bounces@lists.example>\r\n", (), "bounces@lists.example", "Return-Path"),
        (b"From: nagios\r\n", ("--sender=nagios@monitor.example", "--recipient=support@example.com"),
         "nagios@monitor.example", "envelope sender"),
    ]
    for headers, args, address, field in cases:
        raw, mid = senderless("fallback " + field, headers)
        result = mailgate(gw.url, raw, args=args)
        assert result.returncode == 0, (field, result.returncode, result.stderr)
        detail, message = wait_inbound(gw, mid)
        assert [i["address"] for i in detail["customer"]["identities"]] == [address], field
        assert message["metadata"]["sender_from"] == field
    _, nagios = inbound_with_external_id(gw, mid)[0]
    assert nagios["metadata"]["envelope_from"] == "nagios@monitor.example"
    assert nagios["metadata"]["envelope_to"] == "support@example.com"
    assert nagios["metadata"]["from"] == "nagios"


def test_mail_without_any_sender_goes_to_the_unknown_sender_customer_unanswered_until_an_address_is_linked(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url, config={"routing": {"acknowledge": True}})
    first, first_id = senderless("who am I")
    second, second_id = senderless("me again")
    # No From, no envelope sender; and Postfix's ${sender} of a bounce (MAILER-DAEMON) is no sender.
    assert mailgate(gw.url, first).returncode == 0
    assert mailgate(gw.url, second, args=("--sender=MAILER-DAEMON",)).returncode == 0
    detail, message = wait_inbound(gw, first_id)
    wait_inbound(gw, second_id)
    assert detail["customer"]["name"] == f"Unknown sender ({MAIL})"
    assert [i["address"] for i in detail["customer"]["identities"]] == [PLACEHOLDER]
    assert message["metadata"]["from"] == "(no From)"
    assert message["metadata"]["sender_from"] == "unknown"
    # One customer per adapter, which supervisors see like any other.
    unknown = [c for c in gw.conversations("marta") if c["customer"]["name"] == f"Unknown sender ({MAIL})"]
    assert len(unknown) == 1
    conversation = unknown[0]["id"]
    quiet(2.0)
    assert smtp_sink.messages() == [], "no acknowledgement to nobody"

    # No reply goes out: the agent is told why and what to do.
    refused = gw.api("marta", "POST", f"conversations/{conversation}/replies", json={"body": "Who are you?"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "refused_by_channel"
    assert "/identities" in refused.json()["error"]["message"]
    channels = gw.get_json("marta", f"conversations/{conversation}")["channels"]
    assert [c["can_reply"] for c in channels if c["adapter"] == MAIL] == [False]

    # An agent links the address the mail turned out to be from: replies go there.
    customer = detail["customer"]["id"]
    linked = gw.api("marta", "POST", f"customers/{customer}/identities",
                    json={"channel": "email", "address": "ops@customer.example"})
    assert linked.status_code in (200, 201), linked.text
    r = gw.api("marta", "POST", f"conversations/{conversation}/replies", json={"body": "We are on it."})
    assert r.status_code == 202, r.text
    wait_sent(gw, conversation, r.json()["id"])
    sent = smtp_sink.wait_for(1, timeout=SLOW)
    assert sent[0].rcpt_tos == ["ops@customer.example"], sent[0].rcpt_tos
    assert sent[0].message["To"] == "ops@customer.example"


def test_only_what_is_not_mail_is_refused(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    for garbage in (bytes(range(256)) * 8, b"<!DOCTYPE html><html><body>hi</body></html>", b'{"from": "a@b.c"}'):
        result = mailgate(gw.url, garbage)
        assert result.returncode == 65, (result.returncode, result.stderr)
    assert all_messages(gw) == []
