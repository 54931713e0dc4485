"""The e-mail channel end to end: the real binary against a real Dovecot (IMAP polling) and a real
aiosmtpd (replies over SMTP), the `mailgate` command, acknowledgements by mail, a colleague answering
in a customer's thread, the shared real-world mail corpus through `/hooks/{id}`, SMTP failures, and
IMAP polling past a message that is not mail.

The corpus is read in place from $SWITCHBOARD_CORPUS (default <repo>/../shared/corpus)."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

import pytest
import requests
import yaml

from conftest import BIN, REPO, unique, wait_until
from mailservers import SUPPORT, SMTPSink, _Helper

CORPUS = Path(os.environ.get("SWITCHBOARD_CORPUS") or REPO.parent / "shared" / "corpus")
MAIL_DIR = CORPUS / "mail"
ADDRESS = "support@example.com"
NAME = "Example Support"
MAIL = "support-mail"
OWNER_NAMES = {"ana": "Ana García", "luis": "Luis Pérez"}
# The mail hook's shared secret (secret_env): posts are signed with it, as `mailgate` signs.
MAIL_SECRET_ENV = "SB_MAIL_SECRET"
MAIL_SECRET = "mail-" + uuid.uuid4().hex
# Generous: two cores shared with compilers and other test runs.
SLOW = 60.0


# ---------------------------------------------------------------------------------------------
# helpers


def email_adapter(smtp_url: str, dovecot=None, **extra) -> dict:
    adapter = {"id": MAIL, "type": "email", "team": "support", "address": ADDRESS, "name": NAME,
               "smtp": {"url": smtp_url}, "secret_env": MAIL_SECRET_ENV, **extra}
    if dovecot is not None:
        adapter["imap"] = {"url": dovecot.url, "user": dovecot.user, "password_env": "SB_IMAP_PASSWORD",
                           "poll": "1s"}
    return adapter


def mail_env(**extra) -> dict:
    return {MAIL_SECRET_ENV: MAIL_SECRET, **extra}


def mail_gateway(gateway, smtp_url: str, dovecot=None, config: dict | None = None, **extra):
    env = mail_env(SB_IMAP_PASSWORD=dovecot.password) if dovecot is not None else mail_env()
    overrides = {"adapters": [email_adapter(smtp_url, dovecot, **extra)]}
    overrides.update(config or {})
    return gateway(overrides, env=env)


def compose(sender: str, subject: str, body: str, *, to: str = f"{NAME} <{ADDRESS}>", message_id: str | None = None,
            in_reply_to: str | None = None, references: list[str] | None = None,
            headers: dict | None = None) -> tuple[bytes, str]:
    """An RFC 5322 message as a mail client writes it; returns (bytes, bare Message-ID)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    mid = message_id or make_msgid(idstring=unique("c"), domain="client.example")
    msg["Message-ID"] = mid if mid.startswith("<") else f"<{mid}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{bare(in_reply_to)}>"
    if references:
        msg["References"] = " ".join(f"<{bare(r)}>" for r in references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return bytes(msg), bare(mid)


def bare(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def post_mail(gw, raw: bytes, adapter: str = MAIL, timeout: float = 30, secret: str | None = MAIL_SECRET):
    """Posts as the mailgate does: message/rfc822, signed with the hook's secret."""
    return gw.post_hook(adapter, raw=raw, secret=secret, headers={"Content-Type": "message/rfc822"}, timeout=timeout)


def deliver_by_hook(gw, raw: bytes) -> int:
    r = post_mail(gw, raw)
    assert r.status_code == 200, f"hook answered {r.status_code}: {r.text}"
    return r.json()["messages"][0]


def all_messages(gw, agent="marta") -> list[dict]:
    out = []
    for c in gw.conversations(agent):
        out += gw.get_json(agent, f"conversations/{c['id']}")["messages"]
    return out


def inbound_with_external_id(gw, external_id: str, agent="marta") -> list[tuple[dict, dict]]:
    """(conversation detail, message) for every inbound message with this external id."""
    found = []
    for c in gw.conversations(agent):
        detail = gw.get_json(agent, f"conversations/{c['id']}")
        found += [(detail, m) for m in detail["messages"]
                  if m["direction"] == "inbound" and m.get("external_id") == external_id]
    return found


def wait_inbound(gw, external_id: str, timeout: float = SLOW) -> tuple[dict, dict]:
    return wait_until(lambda: (inbound_with_external_id(gw, external_id) or [None])[0], timeout, interval=0.3,
                      what=f"inbound message {external_id}")


def reply(gw, agent, conversation_id, body, **extra) -> dict:
    r = gw.api(agent, "POST", f"conversations/{conversation_id}/replies", json={"body": body, **extra})
    assert r.status_code == 202, r.text
    return r.json()


def wait_sent(gw, conversation_id, message_id, timeout=SLOW) -> dict:
    def check():
        m = gw.find_message(conversation_id, message_id)
        return m if m and m["delivery"]["state"] in ("sent", "delivered") else None
    return wait_until(check, timeout, interval=0.2, what=f"reply {message_id} sent")


def text_of(mail) -> str:
    part = mail.message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def refs(header_value) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", str(header_value or ""))


def addr(header_value) -> str:
    return parseaddr(str(header_value))[1].lower()


def mailgate(gw_url: str, raw: bytes, adapter: str = MAIL, timeout: float = 60, args: tuple = (),
             env: dict | None = None) -> subprocess.CompletedProcess:
    """The real `switchboard mailgate`, with the secret in SWITCHBOARD_MAIL_SECRET as an MTA pipe has it."""
    environment = {k: v for k, v in os.environ.items() if k != "SWITCHBOARD_MAIL_SECRET"}
    environment.update({"SWITCHBOARD_MAIL_SECRET": MAIL_SECRET} if env is None else env)
    return subprocess.run([BIN, "mailgate", "--url", gw_url, "--adapter", adapter, "--timeout", "30s", *args],
                          input=raw, capture_output=True, timeout=timeout, env=environment)


def sent_id(gw, conversation_id, message_id) -> str:
    """The Message-ID our mail went out with, as the gateway stored it (it carries an unguessable tag)."""
    m = wait_sent(gw, conversation_id, message_id)
    assert re.fullmatch(r"sb\.%d\.%d\.[A-Za-z0-9_-]{8,}@example\.com" % (conversation_id, message_id), m["external_id"]), m
    return m["external_id"]


def quiet(seconds: float = 2.0):
    """Long enough for anything queued (an acknowledgement) to have reached a healthy local sink."""
    time.sleep(seconds)


# ---------------------------------------------------------------------------------------------
# 1. a whole mail thread over real servers


def test_full_thread_over_dovecot_and_smtp(gateway, smtp_sink, dovecot):
    subject = "Pedido nº 4711 no llegó — ¿dónde está?"
    first, first_id = compose('"Núria Vidal" <Nuria.Vidal@Customer.Example>', subject,
                              "Hola,\n\nmy order 4711 has not arrived yet. Can you check?\n\nNúria\n")
    # In the mailbox before the gateway starts: unseen until the adapter stored it.
    dovecot.deliver(first)
    assert dovecot.unseen_count() == 1

    gw = mail_gateway(gateway, smtp_sink.url, dovecot)
    # \Seen only once stored: the moment it is seen, the message is already in the API.
    dovecot.wait_seen(1, timeout=SLOW)
    found = inbound_with_external_id(gw, first_id)
    assert len(found) == 1, "marked \\Seen before it was stored"
    conv, msg = found[0]
    assert msg["adapter"] == MAIL and msg["channel"] == "email"
    assert msg["metadata"]["subject"] == subject
    assert "Nuria.Vidal@Customer.Example".lower() in msg["metadata"]["from"].lower()
    assert "Núria Vidal" in msg["metadata"]["from"]
    assert msg["metadata"]["message_id"] == first_id
    assert "order 4711" in msg["body"]
    assert conv["customer"]["name"] == "Núria Vidal"
    assert {"channel": "email", "address": "nuria.vidal@customer.example"}.items() <= \
        {k: v for k, v in conv["customer"]["identities"][0].items()}.items()
    owner = conv["owner"]
    assert owner in OWNER_NAMES
    ref = conv["reference"]

    # The agent answers: it leaves over SMTP as a reply in the customer's thread.
    r1 = reply(gw, owner, conv["id"], "Hola Núria,\n\nyour parcel left our warehouse today.\n\nAna")
    [sent1] = smtp_sink.wait_for(1, timeout=SLOW)
    assert sent1.mail_from == ADDRESS
    assert [a.lower() for a in sent1.rcpt_tos] == ["nuria.vidal@customer.example"]
    h = sent1.message
    assert addr(h["From"]) == ADDRESS and NAME in str(h["From"])
    assert addr(h["To"]) == "nuria.vidal@customer.example"
    assert str(h["Subject"]) == f"Re: {subject} [{ref}]"
    our_id1 = sent_id(gw, conv["id"], r1["id"])
    assert refs(h["Message-ID"]) == [our_id1]
    assert refs(h["In-Reply-To"]) == [first_id]
    assert refs(h["References"]) == [first_id]
    assert "parcel left our warehouse" in text_of(sent1)
    m1 = wait_sent(gw, conv["id"], r1["id"])
    assert m1["external_id"] == our_id1
    assert m1["delivery"]["attempts"] == 1 and not m1["delivery"].get("error")

    # The customer's client answers above the quoted history.
    answer, answer_id = compose(
        '"Núria Vidal" <NURIA.VIDAL@customer.example>', f"Re: {subject} [{ref}]",
        "Great, thanks! The tracking number I got is TRK-998877.\n\n"
        "El mar, 25 nov 2025 a las 10:00, Example Support <support@example.com> escribió:\n"
        "> Hola Núria,\n>\n> your parcel left our warehouse today.\n>\n> Ana\n",
        in_reply_to=our_id1, references=[first_id, our_id1])
    dovecot.deliver(answer)
    conv2, msg2 = wait_inbound(gw, answer_id)
    assert conv2["id"] == conv["id"], "the answer threads into the same conversation"
    assert msg2["in_reply_to"] == r1["id"]
    assert "TRK-998877" in msg2["body"]
    assert "warehouse" not in msg2["body"] and ">" not in msg2["body"], msg2["body"]
    assert "warehouse" in msg2["metadata"]["full_text"], "the original is kept"
    dovecot.wait_seen(2, timeout=SLOW)
    assert len(gw.conversations()) == 1
    # The same mail arriving once more by another path (the MTA's pipe as well): stored once.
    again = post_mail(gw, answer)
    assert again.status_code == 200 and again.json()["messages"] == [msg2["id"]] and again.json()["stored"] == 0, again.text

    # The agent's second reply answers the latest message and carries the whole chain.
    r2 = reply(gw, owner, conv["id"], "Thanks, TRK-998877 shows delivery tomorrow.")
    sent = smtp_sink.wait_for(2, timeout=SLOW)
    h2 = sent[1].message
    assert refs(h2["In-Reply-To"]) == [answer_id]
    chain = refs(h2["References"])
    assert chain == [first_id, our_id1, answer_id], chain
    assert refs(h2["Message-ID"]) == [sent_id(gw, conv["id"], r2["id"])]
    assert str(h2["Subject"]) == f"Re: {subject} [{ref}]", "no second Re:, no second reference"
    wait_sent(gw, conv["id"], r2["id"])
    assert len(smtp_sink.messages()) == 2


# ---------------------------------------------------------------------------------------------
# 2. the mailgate command against the real gateway


def test_mailgate_exit_codes(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    raw, mid = compose("Pere Mas <pere@customer.example>", "Factura duplicada", "I was charged twice for order 88.")

    good = mailgate(gw.url, raw)
    assert good.returncode == 0, good.stderr.decode(errors="replace")
    _, msg = wait_inbound(gw, mid, timeout=10)
    assert "charged twice" in msg["body"]

    again = mailgate(gw.url, raw)
    assert again.returncode == 0, again.stderr.decode(errors="replace")
    assert len(inbound_with_external_id(gw, mid)) == 1, "stored once"
    conversations = len(gw.conversations())
    messages = len(all_messages(gw))

    # Only what is not e-mail at all is bounced (mail without a sender is kept: test_email_senders.py).
    junk = bytes(range(256)) * 8
    bad = mailgate(gw.url, junk)
    assert bad.returncode == 65, (bad.returncode, bad.stderr)
    assert b"rejected" in bad.stderr, bad.stderr
    empty = mailgate(gw.url, b"")
    assert empty.returncode == 65, (empty.returncode, empty.stderr)
    assert len(gw.conversations()) == conversations and len(all_messages(gw)) == messages, "nothing stored"

    # An unknown adapter is the installation's fault: kept queued by the MTA (75), not bounced.
    unknown = mailgate(gw.url, raw, adapter="no-such-mailbox")
    assert unknown.returncode == 75, (unknown.returncode, unknown.stderr)
    assert b"no adapter" in unknown.stderr

    # Without the secret, or with another one, the hook refuses (401): also the installation's
    # fault, so the MTA keeps the mail (75) until the operator fixes the pipe's environment.
    fresh, fresh_id = compose("Pere Mas <pere@customer.example>", "Secret?", "signed or not")
    for env in ({}, {"SWITCHBOARD_MAIL_SECRET": "not-the-secret"}):
        refused = mailgate(gw.url, fresh, env=env)
        assert refused.returncode == 75, (refused.returncode, refused.stderr)
        assert b"401" in refused.stderr and b"bad_signature" in refused.stderr, refused.stderr
    # --secret-env names another variable; naming one that is not set is never "unsigned".
    missing = mailgate(gw.url, fresh, args=("--secret-env", "SB_NOT_SET_ANYWHERE"))
    assert missing.returncode == 75 and b"SB_NOT_SET_ANYWHERE" in missing.stderr, (missing.returncode, missing.stderr)
    assert inbound_with_external_id(gw, fresh_id) == []
    named = mailgate(gw.url, fresh, args=("--secret-env", "SB_PIPE_SECRET"), env={"SB_PIPE_SECRET": MAIL_SECRET})
    assert named.returncode == 0, named.stderr
    wait_inbound(gw, fresh_id, timeout=10)

    # The gateway down: 75, so the MTA retries later.
    gw.stop()
    down = mailgate(gw.url, compose("Pere Mas <pere@customer.example>", "still there?", "hello")[0])
    assert down.returncode == 75, (down.returncode, down.stderr)
    assert b"unreachable" in down.stderr
    # … and once it is back, the retried message is accepted.
    gw.start()
    retried, retried_id = compose("Pere Mas <pere@customer.example>", "still there?", "hello again")
    assert mailgate(gw.url, retried).returncode == 0
    wait_inbound(gw, retried_id, timeout=10)


# ---------------------------------------------------------------------------------------------
# 3. acknowledgements by mail; machines get none and reopen nothing


def dsn(original_message_id: str, failed: str, threaded: bool = False) -> bytes:
    """A Postfix-style bounce: multipart/report from MAILER-DAEMON with the original's headers;
    `threaded` adds In-Reply-To/References naming the original, as Gmail's bounces do."""
    boundary = unique("dsn")
    mid = f"<{unique('bounce')}@mx.customer.example>"
    thread = (f"In-Reply-To: <{original_message_id}>\r\nReferences: <{original_message_id}>\r\n"
              if threaded else "")
    return (
        thread +
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.customer.example (Mail Delivery System)\r\n"
        f"To: {ADDRESS}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {mid}\r\n"
        "Date: Tue, 25 Nov 2025 10:00:00 +0000 (UTC)\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.customer.example.\r\n\r\n"
        f"<{failed}>: host mx.customer.example said: 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.customer.example\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {NAME} <{ADDRESS}>\r\nTo: {failed}\r\nMessage-ID: <{original_message_id}>\r\n\r\n"
        f"--{boundary}--\r\n").encode()


def test_acknowledgement_by_mail_and_none_for_machines(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url, config={"routing": {"acknowledge": True}})
    customer = f"{unique('irene')}@customer.example"
    raw, mid = compose(f"Irene Soler <{customer}>", "Mi pedido llegó roto", "The vase arrived broken. Photos attached soon.")
    first = deliver_by_hook(gw, raw)
    conv = gw.conversation_of(first)
    owner = conv["owner"]
    ref = conv["reference"]

    [ack] = smtp_sink.wait_for(1, timeout=SLOW)
    h = ack.message
    assert ack.rcpt_tos == [customer] and ack.mail_from == ADDRESS
    assert refs(h["In-Reply-To"]) == [mid]
    assert str(h["Subject"]) == f"Re: Mi pedido llegó roto [{ref}]"
    assert str(h["Auto-Submitted"]).lower() == "auto-replied"
    text = text_of(ack)
    assert ref in text and OWNER_NAMES[owner] in text, text
    assert "Irene" in text
    [ack_msg] = [m for m in gw.get_json("marta", f"conversations/{conv['id']}")["messages"]
                 if m["direction"] == "outbound"]
    assert ack_msg["author"] == "switchboard"
    ack_id = sent_id(gw, conv["id"], ack_msg["id"])
    assert refs(h["Message-ID"]) == [ack_id]

    # Resolved; then her out-of-office answers the acknowledgement, and a bounce comes back.
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/resolve").status_code == 200
    ooo, ooo_id = compose(f"Irene Soler <{customer}>", f"Re: Mi pedido llegó roto [{ref}]",
                          "I am out of the office until Monday.", in_reply_to=ack_id, references=[mid, ack_id],
                          headers={"Auto-Submitted": "auto-replied"})
    ooo_msg = deliver_by_hook(gw, ooo)
    threaded_bounce = deliver_by_hook(gw, dsn(ack_id, customer, threaded=True))
    bounce_msg = deliver_by_hook(gw, dsn(ack_id, customer))

    quiet(3)
    assert len(smtp_sink.messages()) == 1, "no acknowledgement of an auto-reply or a bounce"
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert detail["status"] == "resolved", "machines do not reopen a request"
    stored_ooo = [m for m in detail["messages"] if m["id"] == ooo_msg]
    assert stored_ooo and stored_ooo[0]["metadata"].get("automated"), "recorded in her thread, marked automated"
    assert stored_ooo[0]["in_reply_to"] == ack_msg["id"]
    # A bounce naming our mail in In-Reply-To is filed in her thread too, and the machine is no customer.
    stored_bounce = [m for m in detail["messages"] if m["id"] == threaded_bounce]
    assert stored_bounce and stored_bounce[0]["metadata"].get("automated"), [m["id"] for m in detail["messages"]]
    assert stored_bounce[0]["in_reply_to"] == ack_msg["id"]
    assert [c for c in gw.conversations("marta", "open")] == [], "no open work from machines"
    # A bounce naming our mail only in its returned headers is hers too, and marks that mail failed.
    bounce_conv = gw.conversation_of(bounce_msg)
    assert bounce_conv["id"] == conv["id"] and bounce_conv["status"] == "resolved"
    [bounce] = [m for m in bounce_conv["messages"] if m["id"] == bounce_msg]
    assert bounce["metadata"].get("automated"), bounce["metadata"]
    [ack_after] = [m for m in bounce_conv["messages"] if m["id"] == ack_msg["id"]]
    assert ack_after["delivery"]["state"] == "failed" and "bounced" in ack_after["delivery"]["error"]
    # Nobody was given work by either.
    for agent in ("ana", "luis"):
        assert gw.conversations(agent, "open") == []


def test_a_bounce_naming_our_mail_is_filed_in_that_thread_even_from_a_known_mailer_daemon(gateway, smtp_sink):
    """The same MAILER-DAEMON (one provider's MTA serves many customers) bounced something before,
    without threading headers, so it is already known as an address. Its next bounce names our
    reply to Irene in In-Reply-To: it belongs in Irene's thread, and no agent should be told to
    merge the mail system into a customer."""
    gw = mail_gateway(gateway, smtp_sink.url)
    domain = unique("isp") + ".example"
    earlier = deliver_by_hook(gw, dsn(f"{unique('old')}@example.com", f"someone@{domain}"))
    customer = f"irene@{domain}"
    conv = gw.conversation_of(deliver_by_hook(gw, compose(f"Irene Soler <{customer}>", "Broken vase", "It arrived broken.")[0]))
    r = reply(gw, conv["owner"], conv["id"], "Sorry! A new one is on its way.")
    our_id = sent_id(gw, conv["id"], r["id"])

    bounce = deliver_by_hook(gw, dsn(our_id, customer, threaded=True))
    holder = gw.conversation_of(bounce)
    machine = gw.conversation_of(earlier)
    suggestions = [m["body"] for m in machine["messages"] if m["direction"] == "event" and "merge" in m["body"].lower()]
    assert suggestions == [], f"a mail system is proposed for merging into a customer: {suggestions}"
    assert holder["id"] == conv["id"], (
        f"the bounce of our reply went to conversation {holder['id']} ({holder['customer'].get('name')}), "
        f"not to Irene's {conv['id']}")
    [stored] = [m for m in holder["messages"] if m["id"] == bounce]
    assert stored["in_reply_to"] == r["id"] and stored["metadata"].get("automated")
    assert holder["status"] == "open" and len(smtp_sink.messages()) == 1


def test_a_bounce_of_our_reply_marks_it_failed_for_the_agent(gateway, smtp_sink):
    """A Postfix bounce names our reply only in its returned headers: the reply turns `failed` with
    the report's words, and the bounce is filed in the customer's thread."""
    gw = mail_gateway(gateway, smtp_sink.url)
    customer = f"{unique('gone')}@customer.example"
    conv = gw.conversation_of(deliver_by_hook(gw, compose(f"Gone Away <{customer}>", "Where is my parcel", "Any news?")[0]))
    r = reply(gw, conv["owner"], conv["id"], "It left our warehouse today.")
    bounce = deliver_by_hook(gw, dsn(sent_id(gw, conv["id"], r["id"]), customer))
    failed = gw.wait_delivery(conv["id"], r["id"], "failed")
    assert "bounced" in failed["delivery"]["error"] and "5.1.1" in failed["delivery"]["error"]
    assert gw.conversation_of(bounce)["id"] == conv["id"]


# ---------------------------------------------------------------------------------------------
# 4. a colleague answering inside the customer's thread


def test_colleague_reply_in_thread_starts_its_own_conversation_with_merge_suggestion(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    domain = unique("acme") + ".example"
    raw, mid = compose(f"Alba Puig <alba@{domain}>", "Invoice 2025-113 wrong VAT", "The VAT rate on invoice 2025-113 is wrong.")
    alba_msg = deliver_by_hook(gw, raw)
    alba = gw.conversation_of(alba_msg)
    before = [(m["id"], m["direction"], m["body"]) for m in alba["messages"]]

    colleague, colleague_id = compose(
        f"Biel Roca <biel@{domain}>", "Re: Invoice 2025-113 wrong VAT",
        "Adding to Alba's mail: invoice 2025-114 has the same problem.\n\n"
        f"On Tue, 25 Nov 2025, Alba Puig <alba@{domain}> wrote:\n> The VAT rate on invoice 2025-113 is wrong.\n",
        to=f"{ADDRESS}, alba@{domain}", in_reply_to=mid, references=[mid])
    biel_msg = deliver_by_hook(gw, colleague)
    biel = gw.conversation_of(biel_msg)
    assert biel["id"] != alba["id"], "never joins another customer's thread silently"
    assert biel["customer"]["id"] != alba["customer"]["id"]
    [stored] = [m for m in biel["messages"] if m["id"] == biel_msg]
    assert "2025-114" in stored["body"] and stored["external_id"] == colleague_id
    suggestion = [m for m in biel["messages"] if m["direction"] == "event" and alba["reference"] in m["body"]]
    assert suggestion, [m["body"] for m in biel["messages"]]
    assert "merge" in suggestion[0]["body"].lower()

    after = gw.get_json("marta", f"conversations/{alba['id']}")
    assert [(m["id"], m["direction"], m["body"]) for m in after["messages"]] == before, "her thread is unchanged"
    assert after["customer"]["identities"] == alba["customer"]["identities"]


# ---------------------------------------------------------------------------------------------
# 5. the real-world corpus through the real gateway


class _RubyTolerantLoader(yaml.SafeLoader):
    pass


def _ruby_node(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_RubyTolerantLoader.add_multi_constructor("!", _ruby_node)


def corpus_files() -> list[Path]:
    return sorted(p for p in MAIL_DIR.rglob("*") if p.suffix in (".box", ".eml"))


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


def test_corpus_through_the_gateway(gateway, smtp_sink):
    files = corpus_files()
    if not files:
        pytest.skip(f"no mail corpus at {MAIL_DIR}")
    assert len(files) == 66, len(files)
    # Real mail is bigger than the e2e default body limit. Acknowledgements on: machines get none.
    gw = mail_gateway(gateway, smtp_sink.url, config={"server": {"max_body": "4m"}, "routing": {"acknowledge": True}})

    accepted: dict[str, int] = {}
    rejected: dict[str, str] = {}
    for path in files:
        name = str(path.relative_to(MAIL_DIR))
        try:
            r = post_mail(gw, path.read_bytes(), timeout=30)
        except requests.RequestException as error:
            pytest.fail(f"{name}: no answer ({error}); gateway stderr:\n{gw.stderr()}")
        assert r.status_code in (200, 400), f"{name}: {r.status_code} {r.text[:300]}"
        if r.status_code == 200:
            body = r.json()
            assert body["stored"] + body["duplicates"] >= 1 and body["messages"], (name, body)
            accepted[name] = body["messages"][0]
        else:
            error = r.json()["error"]
            assert error["code"] and error["message"], (name, error)
            rejected[name] = error["message"]
        assert gw.proc.poll() is None, f"gateway died on {name}:\n{gw.stderr()}"

    assert gw.session.get(f"{gw.url}/healthz", timeout=10).status_code == 200
    assert len(accepted) >= 60, f"only {len(accepted)} accepted; rejected: {rejected}"

    messages = {m["id"]: m for m in all_messages(gw) if m["direction"] == "inbound"}
    missing = {name: mid for name, mid in accepted.items() if mid not in messages}
    assert not missing, f"answered 200 but not in any conversation: {missing}"
    conversations = gw.conversations()
    assert conversations and len(set(accepted.values())) <= len(messages)

    # Auto-replies and bounces of the corpus are recorded as automated and never acknowledged; people are.
    everything = all_messages(gw)
    acked = {m["in_reply_to"] for m in everything if m["direction"] == "outbound" and m.get("author") == "switchboard"}
    automated = {name for name, mid in accepted.items() if messages[mid].get("metadata", {}).get("automated")}
    for name in ("chatwoot/auto_reply_with_auto_submitted.eml", "chatwoot/bounced_gmail.eml",
                 "mikel-mail/multipart_report_emails__report_422.eml"):
        assert name in automated, (name, messages[accepted[name]].get("metadata", {}).get("automated"))
    assert not {accepted[name] for name in automated} & acked, "an automated message was acknowledged"
    assert acked, "people's first messages were acknowledged"
    smtp_sink.wait_for(1, timeout=SLOW)

    # A second pass: everything accepted is a duplicate now, nothing new stored.
    for name, mid in list(accepted.items())[:10]:
        r = post_mail(gw, (MAIL_DIR / name).read_bytes())
        assert r.status_code == 200 and r.json()["messages"] == [mid] and r.json()["stored"] == 0, (name, r.text)

    # Decoded fields as Zammad expects them, through the API.
    for stem in ("mail001", "mail003", "mail006"):
        expected = yaml.load((MAIL_DIR / "zammad" / f"{stem}.yml").read_text(), Loader=_RubyTolerantLoader)
        name = f"zammad/{stem}.box"
        assert name in accepted, rejected.get(name)
        meta = messages[accepted[name]]["metadata"]
        assert squash(meta.get("subject")) == squash(expected["subject"]), (stem, meta.get("subject"))
        assert expected["from_email"].lower() in meta["from"].lower(), (stem, meta["from"])
        if expected.get("from_display_name"):
            assert expected["from_display_name"] in meta["from"], (stem, meta["from"])
        for recipient in re.findall(r"[\w.+-]+@[\w.-]+", expected.get("to", "")):
            assert recipient.lower() in (meta.get("to") or "").lower(), (stem, meta.get("to"))


# ---------------------------------------------------------------------------------------------
# 6. SMTP failures


def test_smtp_permanent_failure_is_shown_to_the_agent(gateway, smtp_sink_factory):
    sink = smtp_sink_factory(reject=r"^gone@")
    gw = mail_gateway(gateway, sink.url)
    domain = unique("d") + ".example"
    conv = gw.conversation_of(deliver_by_hook(gw, compose(f"gone@{domain}", "Account closed?", "Is my account closed?")[0]))
    owner = conv["owner"]
    r = reply(gw, owner, conv["id"], "Your account is still active.")
    failed = gw.wait_delivery(conv["id"], r["id"], "failed", timeout=SLOW, agent=owner)
    error = failed["delivery"]["error"] or ""
    assert "550" in error or "User unknown" in error or "rejected" in error.lower(), error
    assert failed["delivery"]["attempts"] == 1, "a permanent refusal is not retried"
    assert sink.messages() == []


def _sink_on_port(port: int) -> SMTPSink:
    """A plain sink on a given port (the fixture picks free ports; this reuses one)."""
    sink = SMTPSink.__new__(SMTPSink)
    sink._helper = _Helper("smtp_sink.py", ["--port", str(port)])
    sink.port = sink._helper.info["port"]
    sink.dir = Path(sink._helper.info["dir"])
    return sink


def test_smtp_temporary_failure_is_retried_until_accepted(gateway, smtp_sink_factory):
    assert (SUPPORT / "smtp_sink.py").exists()
    sink = smtp_sink_factory(tempfail=r"^later@")
    gw = mail_gateway(gateway, sink.url, config={
        "delivery": {"first_retry": "200ms", "max_backoff": "500ms", "max_attempts": 200, "concurrency": 4}})
    domain = unique("d") + ".example"
    conv = gw.conversation_of(deliver_by_hook(gw, compose(f"later@{domain}", "Greylisted?", "hello")[0]))
    r = reply(gw, conv["owner"], conv["id"], "This one will make it eventually.")

    def retried():
        m = gw.find_message(conv["id"], r["id"])
        return m if m["delivery"]["attempts"] >= 2 else None
    m = wait_until(retried, SLOW, interval=0.2, what="two delivery attempts")
    assert m["delivery"]["state"] == "queued", m["delivery"]
    assert "451" in (m["delivery"]["error"] or "") or "try again" in (m["delivery"]["error"] or "").lower(), m["delivery"]
    assert sink.messages() == []

    # The server recovers (same port, now accepting): the queued reply goes out once.
    port = sink.port
    sink.stop()
    healed = _sink_on_port(port)
    try:
        done = wait_sent(gw, conv["id"], r["id"])
        assert done["delivery"]["attempts"] > m["delivery"]["attempts"]
        [got] = healed.wait_for(1, timeout=10)
        assert got.rcpt_tos == [f"later@{domain}"]
        assert refs(got.message["Message-ID"]) == [sent_id(gw, conv["id"], r["id"])]
        quiet(1.5)
        assert len(healed.messages()) == 1
    finally:
        healed.stop()


def test_smtp_auth_and_html_alternative(gateway, smtp_sink_factory):
    sink = smtp_sink_factory(auth="sb-relay:relay-secret")
    adapter = email_adapter(sink.url, html_replies=True)
    adapter["smtp"].update({"user": "sb-relay", "password_env": "SB_SMTP_PASSWORD"})
    gw = gateway({"adapters": [adapter]}, env=mail_env(SB_SMTP_PASSWORD="relay-secret"))
    customer = f"{unique('jordi')}@customer.example"
    conv = gw.conversation_of(deliver_by_hook(gw, compose(customer, "Opening hours", "When do you open?")[0]))
    r = reply(gw, conv["owner"], conv["id"], "We open at 9 <am> & close at 6.\nSee you!")
    [got] = sink.wait_for(1, timeout=SLOW)
    assert got.auth_login == "sb-relay"
    assert got.message.get_content_type() == "multipart/alternative"
    assert "We open at 9 <am> & close at 6." in text_of(got)
    html = got.message.get_body(preferencelist=("html",)).get_content()
    assert "&lt;am&gt; &amp; close" in html, html
    assert str(got.message["Subject"]) == f"Re: Opening hours [{conv['reference']}]"
    wait_sent(gw, conv["id"], r["id"])


# ---------------------------------------------------------------------------------------------
# 7. IMAP polling past a message that is not mail


def test_imap_poll_skips_garbage_and_stores_the_mail_behind_it(gateway, smtp_sink, dovecot):
    dovecot.deliver(b"\x00\x01\x02 this is not a mail message at all \xff\xfe\r\n\r\n\x00")
    dovecot.deliver(b"To: support@example.com\r\nSubject: no sender\r\n\r\nnobody wrote this\r\n")
    good, good_id = compose("Marc Ferrer <marc@customer.example>", "Return label", "Please send me a return label.")
    dovecot.deliver(good)
    gw = mail_gateway(gateway, smtp_sink.url, dovecot)
    _, msg = wait_inbound(gw, good_id)
    assert "return label" in msg["body"]
    flags = dovecot.wait_seen(3, timeout=SLOW)
    assert len(flags) == 3, "nothing moved or deleted"
    quiet(2.5)  # a couple more polls: nothing fetched again, nothing else stored
    # The mail without a sender is kept too, under the adapter's unknown-sender customer.
    assert sorted(c["customer"]["name"] for c in gw.conversations()) == ["Marc Ferrer", f"Unknown sender ({MAIL})"]
    assert len([m for m in all_messages(gw) if m["direction"] == "inbound"]) == 2
    ready = gw.session.get(f"{gw.url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["adapters"][MAIL] == "running", ready.text


def test_imap_login_refused_degrades_the_adapter_but_not_the_gateway(gateway, smtp_sink, dovecot):
    raw, mid = compose("Marc Ferrer <marc@customer.example>", "Waiting in the mailbox", "hello")
    dovecot.deliver(raw)
    gw = gateway({"adapters": [email_adapter(smtp_sink.url, dovecot)]}, env=mail_env(SB_IMAP_PASSWORD="not-the-password"))

    def degraded():
        r = gw.session.get(f"{gw.url}/readyz", timeout=10)
        state = r.json()["adapters"].get(MAIL, "")
        return (r, state) if state.startswith("degraded") else None
    r, state = wait_until(degraded, SLOW, interval=0.3, what="adapter degraded")
    assert r.status_code == 200, "one channel in trouble does not take the gateway out of rotation"
    assert "IMAP" in state and "not-the-password" not in state, state
    assert dovecot.unseen_count() == 1, "the mailbox is untouched"
    # Mail through HTTP still arrives.
    other, other_id = compose("Eva Font <eva@customer.example>", "By the pipe", "this one comes via the MTA")
    deliver_by_hook(gw, other)
    wait_inbound(gw, other_id, timeout=10)
    assert inbound_with_external_id(gw, mid) == []
