"""Reply-all (issue 17, part 5): the customer's colleagues in To/Cc are recorded with the mail
(`metadata.participants`) and as the conversation's participants (shown in the conversation view),
copied on the agent's reply over SMTP unless the reply's `cc` chooses otherwise (an empty list: the
customer only); a participant who writes into the conversation joins it; the acknowledgement goes to
the writer only. Over the real SMTP server the suite uses (aiosmtpd)."""
from __future__ import annotations

from conftest import unique, wait_until
from test_email import ADDRESS, SLOW, compose, deliver_by_hook, mail_gateway, reply, sent_id, wait_inbound
from test_openapi import check


def test_a_reply_goes_to_the_customer_with_the_other_participants_in_cc(gateway, smtp_sink):
    raw, mid = compose("Ana Puig <ana@customer.example>", "Our order", "Where is our order?",
                       to=f"Support <{ADDRESS}>, Bob <bob@customer.example>",
                       headers={"Cc": "carol@customer.example, support+orders@example.com"})
    gw = mail_gateway(gateway, smtp_sink.url)
    deliver_by_hook(gw, raw)
    conversation, message = wait_inbound(gw, mid)
    assert message["metadata"]["participants"] == "bob@customer.example, carol@customer.example"
    reply(gw, conversation["owner"], conversation["id"], "It left today.")
    sent = wait_until(lambda: next((m for m in smtp_sink.messages() if b"It left today." in m.raw), None), SLOW,
                      what="the reply at the SMTP server")
    assert sorted(a.lower() for a in sent.rcpt_tos) == ["ana@customer.example", "bob@customer.example", "carol@customer.example"]
    assert sent.message["To"].addresses[0].addr_spec == "ana@customer.example"
    assert sorted(a.addr_spec for a in sent.message["Cc"].addresses) == ["bob@customer.example", "carol@customer.example"]


def team_mail(gw, domain):
    """Ana writes with Bob in To and Carol in Cc; returns (conversation detail, her Message-ID)."""
    raw, mid = compose(f"Ana Puig <ana@{domain}>", "Our order", "Where is our order?",
                       to=f"Support <{ADDRESS}>, Bob <bob@{domain}>", headers={"Cc": f"carol@{domain}"})
    deliver_by_hook(gw, raw)
    conversation, _ = wait_inbound(gw, mid)
    return conversation, mid


def sent_with(smtp_sink, text):
    return wait_until(lambda: next((m for m in smtp_sink.messages() if text.encode() in m.raw), None), SLOW,
                      what=f"the mail saying {text!r} at the SMTP server")


def test_the_conversation_shows_its_participants_and_cc_chooses_whom_a_reply_copies(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    domain = unique("team") + ".example"
    conversation, _ = team_mail(gw, domain)
    cid, owner = conversation["id"], conversation["owner"]
    r = gw.api(owner, "GET", f"conversations/{cid}")
    assert r.status_code == 200
    check(spec_of(gw), "GET", "/api/v1/conversations/{id}", r)
    detail = r.json()
    assert [p["address"] for p in detail["participants"]] == [f"bob@{domain}", f"carol@{domain}"]
    assert all(p["channel"] == "email" and p["added_at"] for p in detail["participants"])
    [channel] = [c for c in detail["channels"] if c["adapter"] == "support-mail"] or detail["channels"]
    assert channel["copies"] is True

    # The agent drops Bob and adds Dan: only Carol and Dan are copied.
    chosen = reply(gw, owner, cid, "Chosen copies.", cc=[f"carol@{domain}", f"Dan@{domain}"])
    assert chosen["metadata"]["cc"] == f"carol@{domain}, dan@{domain}"
    sent = sent_with(smtp_sink, "Chosen copies.")
    assert sorted(a.lower() for a in sent.rcpt_tos) == [f"ana@{domain}", f"carol@{domain}", f"dan@{domain}"]
    assert sorted(a.addr_spec for a in sent.message["Cc"].addresses) == [f"carol@{domain}", f"dan@{domain}"]

    # An empty list: the customer only.
    reply(gw, owner, cid, "Just for you.", cc=[])
    alone = sent_with(smtp_sink, "Just for you.")
    assert [a.lower() for a in alone.rcpt_tos] == [f"ana@{domain}"]
    assert alone.message["Cc"] is None

    # Without cc: reply-all as before.
    reply(gw, owner, cid, "Everyone again.")
    assert sorted(a.lower() for a in sent_with(smtp_sink, "Everyone again.").rcpt_tos) == [
        f"ana@{domain}", f"bob@{domain}", f"carol@{domain}"]

    # A bad address is refused with its reason, and nothing is queued.
    before = len(gw.get_json(owner, f"conversations/{cid}")["messages"])
    for bad in (["not an address"], [f"Bob <bob@{domain}>"], "bob@x.example", ["x@"], [f"a@{domain}, b@{domain}"]):
        r = gw.api(owner, "POST", f"conversations/{cid}/replies", json={"body": "x", "cc": bad})
        assert r.status_code == 400, (bad, r.status_code, r.text)
        assert r.json()["error"]["code"] and r.json()["error"]["message"]
    assert len(gw.get_json(owner, f"conversations/{cid}")["messages"]) == before


def test_a_participant_who_writes_joins_the_conversation(gateway, smtp_sink):
    gw = mail_gateway(gateway, smtp_sink.url)
    domain = unique("team") + ".example"
    conversation, mid = team_mail(gw, domain)
    cid, owner = conversation["id"], conversation["owner"]
    customers_before = {c["customer"]["id"] for c in gw.conversations()}

    # Bob answers Ana's mail with everyone (reply-all): it joins her conversation.
    raw, bob_mid = compose(f"Bob Roca <bob@{domain}>", "Re: Our order", "Order 77 is ours too.",
                           to=f"{ADDRESS}, ana@{domain}", in_reply_to=mid, references=[mid],
                           headers={"Cc": f"carol@{domain}"})
    deliver_by_hook(gw, raw)
    joined, message = wait_inbound(gw, bob_mid)
    assert joined["id"] == cid
    assert joined["customer"]["id"] == conversation["customer"]["id"]
    assert {c["customer"]["id"] for c in gw.conversations()} == customers_before, "no new customer"
    assert [i["address"] for i in joined["customer"]["identities"]] == [f"ana@{domain}"]
    assert not [m for m in joined["messages"] if m["direction"] == "event" and "merge" in m["body"].lower()]
    assert any(m["direction"] == "event" and f"bob@{domain}" in m["body"] for m in joined["messages"])

    # The agent's reply answers Bob's mail, copying the others.
    answer = reply(gw, owner, cid, "Both orders ship today.")
    ours = sent_id(gw, cid, answer["id"])
    sent = sent_with(smtp_sink, "Both orders ship today.")
    assert sorted(a.lower() for a in sent.rcpt_tos) == [f"ana@{domain}", f"bob@{domain}", f"carol@{domain}"]

    # Carol answers our reply (a participant answering our message): the same conversation.
    raw, carol_mid = compose(f"carol@{domain}", "Re: Our order", "Thanks!", to=ADDRESS, in_reply_to=ours, references=[mid, ours])
    deliver_by_hook(gw, raw)
    again, _ = wait_inbound(gw, carol_mid)
    assert again["id"] == cid

    # The agent splits Carol off: her next answer is her own conversation, with the suggestion.
    r = gw.api(owner, "DELETE", f"conversations/{cid}/participants", params={"address": f"Carol@{domain}"})
    assert r.status_code == 200, r.text
    check(spec_of(gw), "DELETE", "/api/v1/conversations/{id}/participants", r)
    assert r.json()["removed"] is True and f"carol@{domain}" in r.json()["event"]["body"]
    assert f"carol@{domain}" not in [p["address"] for p in gw.get_json(owner, f"conversations/{cid}")["participants"]]
    again_r = gw.api(owner, "DELETE", f"conversations/{cid}/participants", params={"address": f"carol@{domain}"})
    assert again_r.status_code == 200 and again_r.json() == {"address": f"carol@{domain}", "removed": False}
    raw, split_mid = compose(f"carol@{domain}", "Re: Our order", "One more thing", to=ADDRESS, in_reply_to=ours, references=[mid, ours])
    deliver_by_hook(gw, raw)
    split, _ = wait_inbound(gw, split_mid)
    assert split["id"] != cid
    assert any(m["direction"] == "event" and "merge" in m["body"].lower() for m in split["messages"])

    # A stranger answering Ana's mail is not a participant: their own conversation, with the suggestion.
    raw, eve_mid = compose(f"eve@{unique('else')}.example", "Re: Our order", "Me too", in_reply_to=mid, references=[mid])
    deliver_by_hook(gw, raw)
    eve, _ = wait_inbound(gw, eve_mid)
    assert eve["id"] != cid
    assert any(m["direction"] == "event" and "merge" in m["body"].lower() for m in eve["messages"])


def spec_of(gw):
    import requests
    import yaml
    r = requests.get(gw.url + "/api/v1/openapi.yaml", timeout=5)
    assert r.status_code == 200
    return yaml.safe_load(r.text)
