"""Phone channel end to end: CDR rows and imports become calls in the caller's conversation, missed calls
promise a call back, the same number on a text channel is the same customer, and replies on a phone line
are call backs (refused with a reason when the PBX cannot place calls)."""

from __future__ import annotations

import subprocess
import time

from conftest import ADAPTER, BIN, message, metric, sign, unique, wait_until

PBX = "pbx"


def phone_gateway(gateway, extra=None, env=None):
    pbx = {"id": PBX, "type": "phone-log", "team": "support", "format": "asterisk-cdr", "country_code": "34",
           "callback_within": "30m", **(extra or {})}
    if "secret_env" not in pbx:
        pbx["open"] = True  # these tests post unsigned rows: said explicitly, as an operator must
    adapters = [
        {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET", "identity": "phone",
         "inbound": {"message_id": "/id", "customer": "/from", "text": "/text"},
         "outbound": {"url": "http://127.0.0.1:9/unused"}},
        pbx,
    ]
    return gateway({"adapters": adapters}, env=env)


def cdr_row(uniqueid: str, src: str, disposition: str, billsec: int = 0, dst: str = "910000000",
            dstchannel: str = "PJSIP/1001-02") -> str:
    answer = "2024-06-10 08:00:05" if billsec else ""
    return (f'"","{src}","{dst}","from-pstn","""Caller"" <{src}>","PJSIP/trunk-01","{dstchannel}","Dial","PJSIP/1001,30",'
            f'"2024-06-10 08:00:00","{answer}","2024-06-10 08:01:00",60,{billsec},"{disposition}","DOCUMENTATION","{uniqueid}",""')


def post_csv(gw, body: str):
    return gw.session.post(f"{gw.url}/hooks/{PBX}", data=body.encode(), headers={"Content-Type": "text/csv"}, timeout=10)


def test_missed_call_promises_a_call_back_and_whatsapp_lands_in_the_same_thread(gateway):
    gw = phone_gateway(gateway)
    call_id = f"{int(time.time())}.{unique('c')[-6:]}"
    r = post_csv(gw, cdr_row(call_id, "0034600123456", "NO ANSWER") + "\n")
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 1
    conv = gw.conversation_of(r.json()["messages"][0])
    call = conv["messages"][0]
    assert call["direction"] == "inbound" and call["adapter"] == PBX
    assert "+34600123456" in call["body"] and call["metadata"]["call_id"] == call_id
    assert conv["callback_due"] and conv["first_response_due"] == conv["callback_due"]
    assert any(m["direction"] == "event" and "Call back promised" in m["body"] for m in conv["messages"])
    listed = [c for c in gw.conversations(status="open") if c["id"] == conv["id"]][0]
    assert listed["callback_due"] == conv["callback_due"]

    # The same number writing on a text channel (national format) is the same customer.
    mid = gw.post_hook(ADAPTER, message(unique("wa"), "+34 600 12 34 56", "did you call me?")).json()["messages"][0]
    assert gw.conversation_of(mid)["id"] == conv["id"]

    # Re-posting the row stores nothing new.
    again = post_csv(gw, cdr_row(call_id, "0034600123456", "NO ANSWER") + "\n")
    assert again.status_code == 200 and again.json()["duplicates"] == 1 and again.json()["stored"] == 0

    # Without an originate endpoint a reply through the phone line is refused with what to do instead …
    owner = conv["owner"]
    refused = gw.api(owner, "POST", f"conversations/{conv['id']}/replies", json={"body": "calling you", "via": PBX})
    assert refused.status_code == 422, refused.text
    assert "originate" in refused.json()["error"]["message"]
    # … and the agent who called by hand records it, which keeps the promise.
    done = gw.api(owner, "POST", f"conversations/{conv['id']}/callback-done")
    assert done.status_code == 201, done.text
    after = gw.get_json(owner, f"conversations/{conv['id']}")
    assert "callback_due" not in after and "first_response_due" not in after


def test_bad_rows_are_reported_by_line_and_good_rows_kept(gateway):
    gw = phone_gateway(gateway)
    base = unique("x")[-6:]
    body = "\n".join([
        cdr_row(f"1718006400.{base}1", "0034600111222", "ANSWERED", billsec=50),
        '"broken","row"',
        cdr_row(f"1718006400.{base}2", "0034600333444", "BUSY"),
    ]) + "\n"
    r = post_csv(gw, body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["stored"] == 2
    assert [x["line"] for x in answer["rejected"]] == [2]
    busy = gw.conversation_of(answer["messages"][1])
    assert busy["callback_due"]
    answered = gw.conversation_of(answer["messages"][0])
    assert "callback_due" not in answered
    assert answered["messages"][0]["metadata"].get("agent_extension") == "1001"


def test_import_cdr_is_idempotent_and_reports_bad_lines(gateway, tmp_path):
    gw = phone_gateway(gateway)
    base = unique("i")[-6:]
    rows = [cdr_row(f"1718000000.{base}{i}", f"00346001000{i:02d}", "NO ANSWER" if i % 3 == 0 else "ANSWERED",
                    billsec=0 if i % 3 == 0 else 30) for i in range(40)]
    rows.insert(10, '"only","three","columns"')
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(rows) + "\n")

    def run(*how):
        # Run outside the repository so its example Config/ is never picked up by default.
        return subprocess.run([BIN, "import-cdr", "--adapter", PBX, *how, "--batch", "7", str(path)],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path, env=gw.env)

    # With the gateway's own configuration (address, layout) …
    first = run("--config", str(gw.config_path), "--url", gw.url)  # the test config listens on port 0
    assert first.returncode == 65, first.stderr  # some rows rejected, the rest stored
    assert f"{path}:11:" in first.stderr
    marta = gw.conversations(status="all")
    assert len(marta) == 40
    # … and with only its URL: the same rows, stored once.
    second = run("--url", gw.url)
    assert second.returncode == 65, second.stderr
    assert len(gw.conversations(status="all")) == 40  # nothing doubled
    callbacks = [c for c in gw.conversations(status="open") if c.get("callback_due")]
    assert len(callbacks) == 14  # i % 3 == 0 for i in 0..<40


def test_reply_on_a_phone_line_asks_the_pbx_to_call(gateway, receiver):
    adapters = [{"id": PBX, "type": "phone-log", "team": "support", "format": "asterisk-cdr", "country_code": "34",
                 "open": True, "originate": {"url": receiver.url, "token_env": "PBX_TOKEN"}}]
    gw = gateway({"adapters": adapters}, env={"PBX_TOKEN": "pbx-secret-token"})
    r = post_csv(gw, cdr_row(f"1718009999.{unique('o')[-6:]}", "0034600555666", "NO ANSWER") + "\n")
    conv = gw.conversation_of(r.json()["messages"][0])
    reply = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/replies", json={"body": "call back please"})
    assert reply.status_code == 202, reply.text
    gw.wait_delivery(conv["id"], reply.json()["id"], "sent")
    sent = wait_until(lambda: receiver.successes(), what="originate request")
    assert sent[0]["headers"]["authorization"] == "Bearer pbx-secret-token"
    assert sent[0]["json"]["to"] == "+34600555666"
    assert "callback_due" not in gw.get_json(conv["owner"], f"conversations/{conv['id']}")


def test_the_conversation_lists_where_a_reply_can_go_and_why_not(gateway):
    gw = phone_gateway(gateway)
    r = post_csv(gw, cdr_row(f"1718007777.{unique('w')[-6:]}", "0034600777888", "NO ANSWER") + "\n")
    cid = gw.conversation_of(r.json()["messages"][0])["id"]
    mid = gw.post_hook(ADAPTER, message(unique("t"), "+34600777888", "text me instead")).json()["messages"][0]
    assert gw.conversation_of(mid)["id"] == cid
    channels = {c["adapter"]: c for c in gw.get_json("marta", f"conversations/{cid}")["channels"]}
    assert channels[ADAPTER]["can_reply"] and channels[ADAPTER]["default"]
    assert channels[ADAPTER]["address"] == "+34600777888"
    assert not channels[PBX]["can_reply"] and "originate" in channels[PBX]["reason"]
    assert not channels[PBX]["default"]


def test_a_forged_call_record_is_refused_without_the_secret(gateway):
    """The attack: a phone-log hook without a secret stored any call record a stranger posted (a
    "missed call" from any number, with a call-back promised to it). With `secret_env` only the
    PBX's signed rows are stored; a hook with neither secret nor `open: true` does not start."""
    secret = "cdr-" + unique("s")
    gw = phone_gateway(gateway, extra={"secret_env": "E2E_CDR_SECRET"}, env={"E2E_CDR_SECRET": secret})
    row = (cdr_row(f"1718007777.{unique('f')[-6:]}", "0034600777888", "NO ANSWER") + "\n").encode()
    for headers in ({}, {"X-Switchboard-Signature": sign("a-guess", row)}):
        r = gw.session.post(f"{gw.url}/hooks/{PBX}", data=row, headers={"Content-Type": "text/csv", **headers}, timeout=10)
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "bad_signature"
    assert gw.conversations() == []
    signed = gw.session.post(f"{gw.url}/hooks/{PBX}", data=row,
                             headers={"Content-Type": "text/csv", "X-Switchboard-Signature": sign(secret, row)}, timeout=10)
    assert signed.status_code == 200 and signed.json()["stored"] == 1, signed.text


def test_skipped_calls_are_counted_by_reason(gateway):
    gw = phone_gateway(gateway)
    body = cdr_row(f"1718008888.{unique('k')[-6:]}", "1001", "ANSWERED", billsec=10, dst="1002") + "\n"
    r = post_csv(gw, body)
    assert r.status_code == 200 and r.json()["stored"] == 0, r.text
    assert [s["reason"] for s in r.json()["skipped"]] == ["internal call from 1001 to 1002"]
    assert metric(gw.metrics(), "switchboard_inbound_ignored_total", adapter=PBX, reason="internal_call") == 1
