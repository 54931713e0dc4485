"""Reply-all (issue 17, part 5, the part built): the customer's colleagues in To/Cc are recorded with
the mail (`metadata.participants`) and copied on the agent's reply over SMTP; the acknowledgement
goes to the writer only."""
from __future__ import annotations

from conftest import wait_until
from test_email import ADDRESS, SLOW, compose, deliver_by_hook, mail_gateway, reply, wait_inbound


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
