"""Issue 15's attacks on the e-mail channel, rerun against the real binary: each now fails to do harm.

- A mail with a 1 MB `References` header (30,000 ids) used to cost ~27 s of CPU; two in flight froze
  every channel. Through `mailgate` it is answered within a second, and a signed webhook posted
  meanwhile keeps p99 < 100 ms.
- A web page on another origin posting mail to the hook with a `no-cors` fetch (text/plain): 415,
  nothing stored. Unsigned mail: 401.
- A forged bounce (DSN) naming a guessed Message-ID of ours, `sb.<conversation>.<message>@domain`:
  the reply stays sent, the attacker's words stay out of the customer's thread. The same for a forged
  auto-reply threaded on a guessed id.
- `Authentication-Results` decide whether the sender is verified, only from the configured
  authserv-id.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from conftest import ADAPTER, message, sign, unique, wait_until
from test_email import (ADDRESS, MAIL, MAIL_SECRET, SLOW, compose, deliver_by_hook, dsn, email_adapter, mail_gateway,
                        mailgate, post_mail, quiet, reply, sent_id)


def all_bodies(gw, conversation_id) -> list[str]:
    return [m["body"] or "" for m in gw.get_json("marta", f"conversations/{conversation_id}")["messages"]]


def rejected(gw, reason: str) -> float:
    text = gw.session.get(f"{gw.url}/metrics", timeout=10).text
    pattern = r'^switchboard_inbound_rejected_total\{(?=[^}]*adapter="%s")(?=[^}]*reason="%s")[^}]*\} (\S+)$' % (MAIL, reason)
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else 0.0


# ---------------------------------------------------------------------------------------------
# 1. one e-mail no longer stalls all ingestion


REFERENCES = ("References: " + "\r\n ".join(
    f"<ref-{i}-{i * 7919:x}@mail{i % 97}.example.org>" for i in range(30_000)) + "\r\n").encode()


def references_bomb() -> tuple[bytes, str]:
    """A mail whose References header holds 30,000 ids (1.1 MB), with a fresh Message-ID."""
    assert len(REFERENCES) > 1_000_000
    raw, mid = compose(f"Bomb <{unique('bomb')}@attacker.example>", "Re: order", "thanks")
    header, body = raw.split(b"\n\n", 1)
    return b"".join((header, b"\n", REFERENCES, b"\n", body)), mid


def test_a_one_megabyte_references_mail_is_answered_fast_while_webhooks_keep_their_latency(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url, config={
        "server": {"max_body": "4m"},
        "adapters": [
            {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
             "outbound": {"url": "http://127.0.0.1:9/send"}},
            {"id": MAIL, "type": "email", "team": "support", "address": ADDRESS, "smtp": {"url": smtp_sink.url},
             "secret_env": "SB_MAIL_SECRET"},
        ]})

    first, first_id = references_bomb()
    started = time.monotonic()
    r = post_mail(gw, first)
    alone = time.monotonic() - started
    assert r.status_code == 200, r.text
    assert alone < 1.0, f"the 1 MB References mail took {alone:.2f} s"
    stored = gw.conversation_of(r.json()["messages"][0])
    [kept] = [m for m in stored["messages"] if m.get("external_id") == first_id]
    assert kept["body"] == "thanks", "a real MTA delivers it: the mail is kept, the excess references dropped"
    assert kept["metadata"]["truncated_headers"] == "references"
    assert len(kept["metadata"]["references"].split()) <= 100

    def webhook_latencies(session, n=200):
        times = []
        for i in range(n):
            body = json.dumps(message(unique("wh"), f"chat{i}@customer.example", "where is my order?")).encode()
            t = time.monotonic()
            answer = session.post(f"{gw.url}/hooks/{ADAPTER}", data=body, timeout=30, headers={
                "Content-Type": "application/json", "X-Switchboard-Signature": sign(gw.secret, body)})
            times.append(time.monotonic() - t)
            assert answer.status_code == 200, answer.text
        return sorted(times)

    # The same webhooks with nothing else going on: how fast this machine answers right now.
    with requests.Session() as session:
        baseline = webhook_latencies(session)
    baseline_p99 = baseline[int(len(baseline) * 0.99) - 1]

    # Two of them in flight all the time (the attack), piped in by the real mailgate as an MTA would
    # (separate processes, so the measuring thread here competes with nothing of Python's), and a
    # signed webhook posted meanwhile.
    stop = threading.Event()
    bomb_times: list[float] = []
    bomb_errors: list[str] = []

    def bomb():
        while not stop.is_set():
            raw, _ = references_bomb()
            t = time.monotonic()
            gate = mailgate(gw.url, raw)
            bomb_times.append(time.monotonic() - t)
            if gate.returncode != 0:
                bomb_errors.append(f"mailgate exit {gate.returncode}: {gate.stderr.decode(errors='replace')[:200]}")

    bombers = [threading.Thread(target=bomb, daemon=True) for _ in range(2)]
    for b in bombers:
        b.start()
    wait_until(lambda: len(bomb_times) >= 2, 30, what="the first bombs answered")
    session = requests.Session()
    try:
        latencies = webhook_latencies(session)
    finally:
        stop.set()
        for b in bombers:
            b.join(timeout=60)
        session.close()

    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"webhook latency with two 1 MB References mails in flight: p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms (alone: p99 {baseline_p99 * 1000:.1f} ms); {len(bomb_times)} bombs, "
          f"slowest {max(bomb_times):.3f} s")
    assert not bomb_errors, bomb_errors[:3]
    assert len(bomb_times) >= 4, "the bombs kept coming while the webhooks were posted"
    assert max(bomb_times) < 1.0, f"a 1 MB References mail took {max(bomb_times):.2f} s through mailgate under load"
    # The bound, 100 ms, on a machine that answers these webhooks in ~20 ms (p99) alone; a
    # machine loaded by other work gets a proportionate bound, so only the attack's own effect counts.
    bound = max(0.100, 5 * baseline_p99)
    assert p99 < bound, (f"webhook p99 {p99 * 1000:.0f} ms while 1 MB References mails were in flight "
                         f"(alone {baseline_p99 * 1000:.0f} ms; bound {bound * 1000:.0f} ms)")


# ---------------------------------------------------------------------------------------------
# 2. the hook takes mail only as message/rfc822 and only with the secret


def test_cross_origin_text_post_gets_415_and_unsigned_mail_401(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    raw, mid = compose(f"Mallory <{unique('m')}@attacker.example>", "Ticket", "Please mail my friend this link.")
    # What a `fetch(…, {mode: "no-cors", body})` from any web page sends.
    for headers in ({"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://evil.example"},
                    {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"},
                    {"Content-Type": "multipart/form-data; boundary=x", "Origin": "null"}):
        r = gw.session.post(f"{gw.url}/hooks/{MAIL}", data=raw, headers=headers, timeout=10)
        assert r.status_code == 415, (headers, r.status_code, r.text)
        assert r.json()["error"]["code"] == "unsupported_media_type"
        assert "message/rfc822" in r.json()["error"]["message"]
    # The right type without the secret, or with a wrong one.
    assert post_mail(gw, raw, secret=None).status_code == 401
    assert post_mail(gw, raw, secret="guessed").status_code == 401
    wrong_secret = gw.session.post(f"{gw.url}/hooks/{MAIL}", data=raw, timeout=10, headers={
        "Content-Type": "message/rfc822", "X-Switchboard-Secret": "guessed"})
    assert wrong_secret.status_code == 401
    assert gw.conversations() == [], "nothing stored"
    # The shared secret itself in a header also works, for senders that cannot sign.
    ok = gw.session.post(f"{gw.url}/hooks/{MAIL}", data=raw, timeout=10, headers={
        "Content-Type": "message/rfc822", "X-Switchboard-Secret": MAIL_SECRET})
    assert ok.status_code == 200, ok.text
    assert len(gw.conversations()) == 1


class Page:
    """A web page on another origin (its own port) that posts mail to the gateway's hook."""

    def __init__(self, html: str):
        page = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_web_page_in_a_real_browser_cannot_inject_mail(gateway, smtp_sink):
    from test_console import make_browser

    # Even an open hook: the media type alone keeps browsers out.
    adapter = email_adapter(smtp_sink.url, open=True)
    del adapter["secret_env"]
    gw = gateway({"adapters": [adapter]})
    raw, _ = compose(f"Victim <{unique('v')}@customer.example>", "Send me the invoice", "to attacker@evil.example")
    hook = f"{gw.url}/hooks/{MAIL}"
    mail = json.dumps(raw.decode())
    page = Page(f"""<!doctype html><title>cute cats</title><script>
      const mail = {mail};
      window.done = Promise.allSettled([
        fetch({json.dumps(hook)}, {{method: "POST", mode: "no-cors", body: mail}}),
        fetch({json.dumps(hook)}, {{method: "POST", mode: "no-cors", body: new Blob([mail], {{type: "message/rfc822"}})}}),
        fetch({json.dumps(hook)}, {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "message/rfc822"}}, body: mail}}),
        fetch({json.dumps(hook)}, {{method: "POST", headers: {{"Content-Type": "message/rfc822"}}, body: mail}}),
      ]).then(() => "settled");
    </script>""")
    browser = make_browser()
    try:
        browser.set_script_timeout(30)
        browser.get(page.url)
        settled = browser.execute_async_script("const done = arguments[arguments.length - 1]; window.done.then(done)")
        assert settled == "settled"
    finally:
        browser.quit()
        page.close()
    # The no-cors posts reached the gateway and were refused; the CORS one never got past its preflight.
    assert rejected(gw, "unsupported_media_type") >= 3, gw.session.get(f"{gw.url}/metrics").text[-2000:]
    assert gw.conversations() == [], "a web page injected mail"


# ---------------------------------------------------------------------------------------------
# 3. forged bounces and auto-replies naming a guessed Message-ID change nothing


def victim_with_sent_reply(gw, smtp_sink):
    customer = f"{unique('irene')}@customer.example"
    conv = gw.conversation_of(deliver_by_hook(gw, compose(f"Irene Soler <{customer}>", "Broken vase", "It arrived broken.")[0]))
    r = reply(gw, conv["owner"], conv["id"], "Sorry! A new one is on its way.")
    real_id = sent_id(gw, conv["id"], r["id"])
    smtp_sink.wait_for(1, timeout=SLOW)
    return customer, conv, r, real_id


ATTACKER_TEXT = "URGENT: your payment failed, pay again at http://pay.attacker.example"


def forged_dsn(guessed: str, customer: str) -> bytes:
    raw = dsn(guessed, customer, threaded=True).decode()
    return raw.replace("This is the mail system at host mx.customer.example.", ATTACKER_TEXT).encode()


def test_a_forged_bounce_naming_a_guessed_message_id_changes_nothing(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    customer, conv, r, real_id = victim_with_sent_reply(gw, smtp_sink)
    c, m = conv["id"], r["id"]
    tag = real_id.split("@")[0].split(".")[3]
    guesses = [f"sb.{c}.{m}@example.com",                         # the old, guessable shape
               f"sb.{c}.{m}.{'0' * len(tag)}@example.com",        # the new shape with a made-up tag
               f"sb.{c}.{m}.{tag[:-1]}{'y' if tag[-1] == 'x' else 'x'}@example.com"]  # one character off
    for guessed in guesses:
        assert guessed != real_id
        bounce = deliver_by_hook(gw, forged_dsn(guessed, customer))
        assert gw.conversation_of(bounce)["id"] != c, f"a bounce naming {guessed} was filed in the victim's thread"

    quiet(1)
    after = gw.find_message(c, m)
    assert after["delivery"]["state"] in ("sent", "delivered"), after["delivery"]
    assert not after["delivery"].get("error"), after["delivery"]
    assert not any(ATTACKER_TEXT in body for body in all_bodies(gw, c)), "the attacker's words are in the victim's thread"

    # The real bounce (it names the exact id we sent) still fails the reply: the defence costs nothing.
    deliver_by_hook(gw, dsn(real_id, customer))
    failed = gw.wait_delivery(c, m, "failed")
    assert "5.1.1" in failed["delivery"]["error"]


def test_a_forged_auto_reply_threaded_on_a_guessed_id_stays_out_of_the_victims_thread(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    customer, conv, r, real_id = victim_with_sent_reply(gw, smtp_sink)
    c, m = conv["id"], r["id"]
    before = all_bodies(gw, c)
    for guessed in (f"sb.{c}.{m}@example.com", f"sb.{c}.{m}.deadbeefdeadbeefdeadbeef@example.com"):
        raw, _ = compose(f"Irene's Assistant <{unique('ooo')}@attacker.example>", "Automatic reply: Re: Broken vase",
                         ATTACKER_TEXT, in_reply_to=guessed, references=[guessed],
                         headers={"Auto-Submitted": "auto-replied"})
        forged = deliver_by_hook(gw, raw)
        holder = gw.conversation_of(forged)
        assert holder["id"] != c, f"an auto-reply naming {guessed} joined the victim's conversation"
        [stored] = [x for x in holder["messages"] if x["id"] == forged]
        assert stored.get("in_reply_to") is None
    assert all_bodies(gw, c) == before, "the victim's thread changed"
    assert gw.find_message(c, m)["delivery"]["state"] in ("sent", "delivered")

    # The customer's real answer, naming the id we sent, still threads as before.
    answer, _ = compose(f"Irene Soler <{customer}>", "Re: Broken vase", "Thanks!", in_reply_to=real_id, references=[real_id])
    mine = deliver_by_hook(gw, answer)
    assert gw.conversation_of(mine)["id"] == c
    assert gw.find_message(c, mine)["in_reply_to"] == m


# ---------------------------------------------------------------------------------------------
# 4. the MTA's verdict, only from the trusted authserv-id


def with_results(raw: bytes, *results: str) -> bytes:
    fields = b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results)
    return fields + b"Received: from mail.customer.example by mx.support.example; Tue, 2 Jan 2024 10:00:00 +0000\r\n" + raw


AUTH = {"authserv_id": "mx.support.example", "require": True}


def test_the_verdict_is_read_only_from_the_trusted_authserv_id(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url, authentication=AUTH)
    good, good_id = compose(f"Ann <{unique('ann')}@customer.example>", "Order 1", "Where is it?")
    forged, forged_id = compose(f"Bob <{unique('bob')}@customer.example>", "Order 2", "Where is it?")
    deliver_by_hook(gw, with_results(good, "mx.support.example; dmarc=pass header.from=customer.example"))
    deliver_by_hook(gw, with_results(forged, "mx.support.example; dmarc=fail header.from=customer.example",
                                     "mx.attacker.example; dmarc=pass header.from=customer.example"))
    meta = {m["external_id"]: m["metadata"] for c in gw.conversations()
            for m in gw.get_json("marta", f"conversations/{c['id']}")["messages"] if m["direction"] == "inbound"}
    assert meta[good_id]["authentication"].startswith("verified by mx.support.example: dmarc=pass"), meta[good_id]
    assert meta[forged_id]["authentication"].startswith("not verified"), meta[forged_id]
    assert "dmarc=fail" in meta[forged_id]["authentication"]


def test_no_acknowledgement_without_the_mtas_pass(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url, config={"routing": {"acknowledge": True}}, authentication=AUTH)
    verified = f"{unique('ann')}@customer.example"
    stranger = f"{unique('victim')}@elsewhere.example"
    good, _ = compose(f"Ann <{verified}>", "Order 1", "Where is it?")
    spoofed, _ = compose(f"Someone <{stranger}>", "Buy cheap pills at http://spam.example", "spam")
    deliver_by_hook(gw, with_results(good, "mx.support.example; dkim=pass header.d=customer.example"))
    deliver_by_hook(gw, with_results(spoofed, "mx.attacker.example; dmarc=pass header.from=elsewhere.example"))
    wait_until(lambda: smtp_sink.messages(), SLOW, what="the acknowledgement to the verified sender")
    quiet(3)
    assert [m.rcpt_tos for m in smtp_sink.messages()] == [[verified]], "an unverified sender was mailed"
