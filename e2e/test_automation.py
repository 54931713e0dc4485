"""Automation end to end: rules that route, tag and answer (the issue's example on WhatsApp), their dry
run, a scheduled rule, SLA policies chosen by priority, and event webhooks that survive a dead endpoint
and whose dead letters can be replayed; check-config names the line of every mistake."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import time
from pathlib import Path
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from conftest import ADAPTER, BIN, JSONAnswerServer, Receiver, base_config, message, metric, unique, wait_until
from test_console import browser  # noqa: F401
from test_social_meta import ENV as META_ENV, FakeGraph, graph, new_wa_id, post_meta, wa_text, whatsapp_adapter  # noqa: F401

CRM_SECRET = "crm-secret-" + "0123456789abcdef"
BILL = {"id": "bill", "name": "Bill Ortega", "role": "agent", "teams": ["billing"], "capacity": 25, "token_env": "SB_TOKEN_BILL"}
BILL_TOKEN = "tok-bill-0123456789abcdef0123456789abcdef"


class TierServer(JSONAnswerServer):
    """The shop's customer service: GET /tier?phone=… answers {"tier": "gold"} for the gold numbers, else silver."""

    def __init__(self):
        self.gold: set[str] = set()
        super().__init__(lambda query: {"tier": "gold" if query.get("phone", "") in self.gold else "silver"})


@pytest.fixture
def tiers():
    t = TierServer()
    yield t
    t.close()


@pytest.fixture
def endpoints():
    """Receivers playing integrations (the conftest's recording HTTP server), closed at the end."""
    made: list[Receiver] = []

    def make() -> Receiver:
        r = Receiver()
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def webhook_post_errors(gw, posts: list[dict]) -> list[str]:
    """Each post's body checked against the OpenAPI document's WebhookPost (objects refuse undocumented keys)."""
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
    from test_openapi import DOC_URI, _rebase, strict

    doc = yaml.safe_load(gw.session.get(gw.url + "/api/v1/openapi.yaml", timeout=5).text)
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(strict(doc), default_specification=DRAFT202012))
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": DOC_URI + "#/components/schemas/WebhookPost"}
    validator = Draft202012Validator(_rebase(schema), registry=registry, format_checker=FormatChecker())
    return [f"{p['json'].get('type')}: {list(e.path)}: {e.message}" for p in posts for e in validator.iter_errors(p["json"])]


def verify(request: dict, secret: str = CRM_SECRET, tolerance: float = 300) -> bool:
    """What a receiver does with X-Switchboard-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    parts = dict(p.split("=", 1) for p in request["headers"]["x-switchboard-signature"].split(","))
    t = int(parts["t"])
    if abs(time.time() - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + request["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def outside_business_hours() -> dict:
    """Business hours that do not include now: one hour, twelve hours away."""
    h = (datetime.now(timezone.utc).hour + 12) % 24
    return {"timezone": "UTC", "hours": [f"daily {h:02d}:00-{(h + 1) % 24:02d}:00"]}


VIP_RULE = {
    "id": "vip-fast-lane",
    "on": "conversation.created",
    "if": {"adapter": ["wa", ADAPTER], "text_matches": "(?i)\\b(factura|invoice)\\b", "context": {"shop.tier": "gold"},
           "business_hours": "outside"},
    "then": [{"priority": "urgent"}, {"tag": ["billing", "vip"]}, {"assign_team": "billing", "keep_owner": False},
             {"note": "VIP billing request"}, {"reply": {"text": "Hola {customer}, {agent} revisa tu factura. Referencia {reference}."}},
             {"webhook": "crm"}],
}


def rule_lines(detail: dict, rule: str) -> list[str]:
    return [m["body"] for m in detail["messages"] if m.get("author") == f"rule:{rule}"]


def test_the_issues_rule_fires_on_a_matching_whatsapp_message_and_not_on_others(gateway, graph, receiver, tiers, endpoints):  # noqa: F811
    crm = endpoints()
    gw = gateway({
        "routing": {"business_hours": outside_business_hours()},
        "agents": [*gateway_agents(), BILL],
        # The issue's example names two adapters: WhatsApp and the shop's chat.
        "adapters": [*base_config(Path("."), receiver.url)["adapters"], whatsapp_adapter(graph)],
        "context_providers": [{"id": "shop", "type": "http", "timeout": "2s", "url": tiers.base + "/tier?phone={phone}"}],
        "webhooks": [{"id": "crm", "url": crm.url, "secret_env": "CRM_SECRET", "events": []}],
        "rules": [VIP_RULE],
    }, env={**META_ENV, "CRM_SECRET": CRM_SECRET, "SB_TOKEN_BILL": BILL_TOKEN})
    gold, silver, plain = new_wa_id(), new_wa_id(), new_wa_id()
    tiers.gold |= {"+" + gold, "+" + plain}

    def send(wa_id, text):
        r = post_meta(gw, "wa", wa_text("wamid." + unique("IN"), wa_id, text))
        assert r.status_code == 200, r.text
        return r.json()["messages"][0]

    vip = send(gold, "Hola, necesito la FACTURA de marzo")
    not_gold = send(silver, "Hola, necesito la factura de marzo")
    not_billing = send(plain, "Hola, ¿dónde está mi pedido?")

    cid = gw.conversation_of(vip)["id"]
    detail = wait_until(lambda: (d := gw.get_json("marta", f"conversations/{cid}"))["priority"] == "urgent" and d,
                        what="the rule's actions")
    # The reply is part of the same firing; the webhook call follows it.
    detail = wait_until(lambda: (d := gw.get_json("marta", f"conversations/{cid}")) and len(rule_lines(d, "vip-fast-lane")) >= 7 and d,
                        what="every action recorded")
    assert detail["tags"] == ["billing", "vip"]
    assert (detail["team"], detail["assignee"], detail["owner"]) == ("billing", "bill", "bill")
    lines = rule_lines(detail, "vip-fast-lane")
    assert any(line.startswith("Rule 'vip-fast-lane' set the priority to urgent (was normal)") for line in lines), lines
    assert "Rule 'vip-fast-lane': tagged billing, vip" in lines
    assert ("Rule 'vip-fast-lane': assigned to bill, the least-loaded available agent of team billing, who becomes the owner"
            in lines)
    assert "VIP billing request" in lines and "Rule 'vip-fast-lane': added a note" in lines
    assert "Rule 'vip-fast-lane': replied to the customer through wa" in lines
    assert "Rule 'vip-fast-lane': called the integration crm" in lines
    events = [m for m in detail["messages"] if m.get("author") == "rule:vip-fast-lane" and m["direction"] == "event"]
    assert all(m["metadata"]["rule"] == "vip-fast-lane" for m in events)

    # The reply went out through WhatsApp, in the customer's window, with the rule's placeholders filled.
    [sent] = wait_until(graph.received, what="the rule's reply at the Graph API")
    assert sent["json"]["to"] == gold
    assert sent["json"]["text"]["body"] == f"Hola Ana, Bill Ortega revisa tu factura. Referencia {detail['reference']}."
    # The integration got rule.fired, signed.
    [post] = wait_until(crm.received, what="rule.fired at the integration")
    assert post["headers"]["x-switchboard-event"] == "rule.fired" and verify(post)
    assert post["json"]["type"] == "rule.fired" and post["json"]["conversation"] == cid
    assert post["json"]["data"]["rule"] == "vip-fast-lane" and all(a["done"] for a in post["json"]["data"]["actions"])
    assert not webhook_post_errors(gw, [post])

    # Not on the others: a silver customer asking for an invoice, a gold one asking something else.
    for other in (not_gold, not_billing):
        d = gw.conversation_of(other)
        assert d["priority"] == "normal" and d["tags"] == [] and rule_lines(d, "vip-fast-lane") == []
        assert d["sla"]["policy"] == "default"

    # Why not: the dry run says which condition failed, with what the conversation had.
    r = gw.api("marta", "POST", "rules/vip-fast-lane/test", json={"message": not_gold})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["matched"] is False
    assert report["summary"] == "The conditions do not hold: context: shop.tier is gold (shop.tier is silver)."
    held = {c["condition"].split(":")[0]: c["held"] for c in report["conditions"]["conditions"]}
    assert held == {"adapter": True, "text_matches": True, "context": False, "business_hours": True}
    assert all(not a["done"] for a in report["actions"])
    assert gw.api("ana", "POST", "rules/vip-fast-lane/test", json={"message": not_gold}).status_code == 403

    text = gw.metrics()
    assert metric(text, "switchboard_rule_actions_total", rule="vip-fast-lane", action="priority") == 1
    assert metric(text, "switchboard_rule_actions_total", rule="vip-fast-lane", action="reply") == 1


def gateway_agents() -> list[dict]:
    return [
        {"id": "ana", "name": "Ana García", "role": "agent", "teams": ["support"], "capacity": 25, "token_env": "SB_TOKEN_ANA"},
        {"id": "luis", "name": "Luis Pérez", "role": "agent", "teams": ["support"], "capacity": 25, "token_env": "SB_TOKEN_LUIS"},
        {"id": "marta", "name": "Marta Ruiz", "role": "supervisor", "teams": ["support", "billing"], "token_env": "SB_TOKEN_MARTA"},
    ]


def test_a_scheduled_rule_escalates_conversations_waiting_on_the_customer_once(gateway):
    gw = gateway({"rules": [{
        "id": "chase", "schedule": "every 1s", "if": {"status": ["pending"], "waited_longer_than": "2s"},
        "then": [{"escalate": "the customer has not answered"}, {"note": "Chase the customer by phone"}]}]})
    waiting = gw.conversation_of(gw.ingest(unique("m"), unique("c"), "my order?"))
    working = gw.conversation_of(gw.ingest(unique("m"), unique("c"), "my order?"))
    owner = waiting["owner"]
    assert gw.api(owner, "POST", f"conversations/{waiting['id']}/replies", json={"body": "Which order number?"}).status_code == 202
    assert gw.api(owner, "PUT", f"conversations/{waiting['id']}/status", json={"status": "pending"}).status_code == 200

    detail = wait_until(lambda: (d := gw.get_json("marta", f"conversations/{waiting['id']}"))["escalated"] and d,
                        timeout=15, what="the scheduled escalation")
    assert detail["assignee"] == "marta"
    assert rule_lines(detail, "chase") == ["Rule 'chase': escalated to marta: the customer has not answered",
                                           "Chase the customer by phone", "Rule 'chase': added a note"]
    # Once: later runs leave the same quiet spell alone (even with the escalation closed again).
    assert gw.api("marta", "POST", f"conversations/{waiting['id']}/escalation/close", json={"note": "ok"}).status_code == 201
    time.sleep(3.5)
    assert len(rule_lines(gw.get_json("marta", f"conversations/{waiting['id']}"), "chase")) == 3
    assert rule_lines(gw.get_json("marta", f"conversations/{working['id']}"), "chase") == []


def due_after(detail: dict) -> float:
    created = next(m for m in detail["messages"] if m["direction"] == "inbound")["created_at"]
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(detail["first_response_due"]) - parse(created)).total_seconds()


def test_two_sla_policies_by_priority_run_different_clocks_and_say_why(gateway, receiver):
    adapter = {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
               "inbound": {"message_id": "/id", "customer": "/from", "text": "/text", "priority": "/priority"},
               "outbound": {"url": receiver.url}}
    gw = gateway({
        "adapters": [adapter],
        "sla": [{"id": "urgent", "when": {"priority": ["urgent", "high"]}, "first_response": "10m", "resolution": "4h"},
                {"id": "relaxed", "when": {"priority": ["low"]}, "first_response": "72h"}],
    })

    def post(priority=None):
        doc = {"id": unique("m"), "from": unique("c"), "text": "hello"}
        if priority:
            doc["priority"] = priority
        r = gw.post_hook(ADAPTER, doc)
        assert r.status_code == 200, r.text
        return gw.conversation_of(r.json()["messages"][0])

    urgent, low, normal = post("urgent"), post("low"), post()
    assert (urgent["priority"], urgent["sla"]["policy"]) == ("urgent", "urgent")
    assert urgent["sla"]["reason"] == "policy 'urgent' applies: priority is urgent"
    assert urgent["sla"]["first_response_seconds"] == 600 and urgent["sla"]["resolution_seconds"] == 14400
    assert abs(due_after(urgent) - 600) < 2 and urgent["resolution_due"]
    assert (low["priority"], low["sla"]["policy"]) == ("low", "relaxed")
    assert abs(due_after(low) - 72 * 3600) < 2
    assert (normal["priority"], normal["sla"]["policy"]) == ("normal", "default")
    assert normal["sla"]["reason"].startswith("no policy's conditions hold")
    assert abs(due_after(normal) - 24 * 3600) < 2
    listed = {c["id"]: c["priority"] for c in gw.conversations()}
    assert (listed[urgent["id"]], listed[low["id"]], listed[normal["id"]]) == ("urgent", "low", "normal")

    # An agent raises the low one: the urgent policy's clock runs from the customer's message.
    r = gw.api("marta", "PUT", f"conversations/{low['id']}/priority", json={"priority": "high"})
    assert r.status_code == 200, r.text
    change = r.json()
    assert (change["priority"], change["sla"]["policy"]) == ("high", "urgent")
    assert change["event"]["body"].startswith("marta set the priority to high (was low); policy 'urgent' applies: priority is high")
    after = gw.get_json("marta", f"conversations/{low['id']}")
    assert abs(due_after(after) - 600) < 2
    assert after["sla"]["reason"] == "policy 'urgent' applies: priority is high"
    # The same again changes nothing; a priority that does not exist is refused; so is a bad one from the channel.
    assert gw.api("marta", "PUT", f"conversations/{low['id']}/priority", json={"priority": "high"}).json().get("event") is None
    assert gw.api("marta", "PUT", f"conversations/{low['id']}/priority", json={"priority": "asap"}).status_code == 400
    bad = gw.post_hook(ADAPTER, {"id": unique("m"), "from": unique("c"), "text": "x", "priority": "asap"})
    assert bad.status_code == 400 and "priority" in bad.json()["error"]["message"]


def test_the_console_shows_the_priority_and_the_sla_policy_with_its_reason(gateway, receiver, browser):
    from test_console import css, set_password, sign_in, wait

    adapter = {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET",
               "inbound": {"message_id": "/id", "customer": "/from", "text": "/text", "priority": "/priority"},
               "outbound": {"url": receiver.url}}
    gw = gateway({"adapters": [adapter],
                  "sla": [{"id": "urgent", "when": {"priority": ["urgent", "high"]}, "first_response": "10m"}]})
    r = gw.post_hook(ADAPTER, {"id": unique("m"), "from": unique("c"), "text": "the shop is down", "priority": "urgent"})
    assert r.status_code == 200, r.text
    conv = gw.conversation_of(r.json()["messages"][0])
    set_password(gw, conv["owner"])
    sign_in(browser, gw, conv["owner"])
    browser.get(f"{gw.url}/#/c/{conv['id']}")
    badge = wait(browser, lambda d: css(d, "#conv-priority"), what="the priority badge")
    assert badge.text == "Urgent"
    sla = css(browser, "#conv-sla")
    assert sla.text == "SLA: urgent" and sla.get_attribute("title") == "policy 'urgent' applies: priority is urgent"

    # Lowered through the API: the open view follows live (no reload), with the default clocks.
    browser.execute_script("window.__noReload = 7;")
    assert gw.api("marta", "PUT", f"conversations/{conv['id']}/priority", json={"priority": "normal"}).status_code == 200
    wait(browser, lambda d: not css(d, "#conv-priority") and css(d, "#conv-sla").text == "SLA: default", what="the header to follow")
    assert browser.execute_script("return window.__noReload") == 7


def event_order(requests: list[dict]) -> dict[int, list[int]]:
    """Per conversation, the delivery ids of the successful posts in the order they arrived."""
    order: dict[int, list[int]] = {}
    for r in requests:
        if 200 <= r["status"] < 300:
            order.setdefault(r["json"]["conversation"], []).append(r["json"]["id"])
    return order


def test_a_dead_endpoint_gets_every_event_in_order_once_it_recovers_and_never_delays_another(gateway, endpoints):
    down, up = endpoints(), endpoints()
    down.always(503)
    hook = {"events": ["conversation.created", "message.created"], "secret_env": "CRM_SECRET", "first_retry": "200ms",
            "max_backoff": "1s", "max_attempts": 100, "breaker": {"failures": 3, "cooldown": "500ms"}}
    gw = gateway({"webhooks": [{"id": "down", "url": down.url, **hook}, {"id": "up", "url": up.url, **hook}]},
                 env={"CRM_SECRET": CRM_SECRET})
    customers = [unique("c") for _ in range(3)]
    for round in range(3):
        for customer in customers:
            gw.ingest(unique("m"), customer, f"message {round}")
    expected = 3 + 9  # a conversation.created per customer, a message.created per message

    # The healthy endpoint has everything while the other is still down.
    wait_until(lambda: len([r for r in up.received() if r["status"] == 200]) == expected, timeout=15, what="the healthy endpoint")
    assert not [r for r in down.received() if r["status"] == 200]
    assert wait_until(lambda: [w for w in gw.get_json("marta", "webhooks")["webhooks"] if w["id"] == "down"][0]["circuit"] != "closed",
                      what="the dead endpoint's circuit to open")
    queued = gw.get_json("marta", "webhooks/down/deliveries?state=queued")["deliveries"]
    assert len(queued) == expected and all(d["last_error"] == "HTTP 503" for d in queued if d["attempts"])

    down.heal()
    wait_until(lambda: len([r for r in down.received() if r["status"] == 200]) == expected, timeout=30, what="the recovered endpoint")
    for receiver in (down, up):
        delivered = [r for r in receiver.received() if r["status"] == 200]
        assert all(verify(r) for r in delivered)
        assert len({r["headers"]["x-switchboard-delivery"] for r in delivered}) == expected
        for conversation, ids in event_order(receiver.received()).items():
            assert ids == sorted(ids), f"conversation {conversation} out of order: {ids}"
            types = [r["json"]["type"] for r in delivered if r["json"]["conversation"] == conversation]
            assert types == ["conversation.created", "message.created", "message.created", "message.created"]
    # Each post is the live stream's payload in an envelope.
    first = next(r["json"] for r in down.received() if r["status"] == 200 and r["json"]["type"] == "message.created")
    assert set(first) == {"id", "type", "conversation", "created_at", "data"}
    assert first["data"]["direction"] == "inbound" and first["data"]["conversation_id"] == first["conversation"]
    # As the OpenAPI document describes them (WebhookPost, its data the live stream's payloads).
    assert not webhook_post_errors(gw, [r for r in down.received() if r["status"] == 200])
    assert gw.get_json("marta", "webhooks/down/deliveries?state=failed")["deliveries"] == []
    # Counted once the answer is read (the receiver records the post a moment before).
    wait_until(lambda: metric(gw.metrics(), "switchboard_webhook_deliveries_total", webhook="down", result="delivered") == expected,
               what="the delivered count")


def test_dead_letters_are_listed_and_replayed(gateway, endpoints):
    strict = endpoints()
    strict.always(500)
    gw = gateway({"webhooks": [{"id": "strict", "url": strict.url, "secret_env": "CRM_SECRET", "events": ["message.created"],
                                "first_retry": "100ms", "max_attempts": 2, "breaker": {"failures": 100}}]},
                 env={"CRM_SECRET": CRM_SECRET})
    first = gw.ingest(unique("m"), unique("c"), "one")
    second = gw.ingest(unique("m"), unique("c"), "two")
    failed = wait_until(lambda: len(d := gw.get_json("marta", "webhooks/strict/deliveries?state=failed")["deliveries"]) == 2 and d,
                        what="two dead letters")
    assert {d["data"]["id"] for d in failed} == {first, second}
    assert all(d["attempts"] == 2 and d["last_error"] == "HTTP 500 after 2 attempts" for d in failed)
    assert gw.api("ana", "GET", "webhooks/strict/deliveries?state=failed").status_code == 403
    assert gw.api("marta", "GET", "webhooks/nope/deliveries").status_code == 404

    strict.heal()
    r = gw.api("marta", "POST", "webhooks/strict/deliveries/replay", json={"deliveries": [failed[0]["id"]]})
    assert r.status_code == 202 and r.json() == {"replayed": 1}
    wait_until(lambda: len(gw.get_json("marta", "webhooks/strict/deliveries?state=delivered")["deliveries"]) == 1, what="one replayed")
    r = gw.api("marta", "POST", "webhooks/strict/deliveries/replay")
    assert r.status_code == 202 and r.json() == {"replayed": 1}
    wait_until(lambda: len(gw.get_json("marta", "webhooks/strict/deliveries?state=delivered")["deliveries"]) == 2, what="all replayed")
    assert gw.get_json("marta", "webhooks/strict/deliveries?state=failed")["deliveries"] == []
    assert all(verify(r) for r in strict.received() if r["status"] == 200)


def test_spam_gets_no_acknowledgement_and_leaves_the_inbox(gateway, receiver):
    gw = gateway({"routing": {"acknowledge": True},
                  "rules": [{"id": "junk", "on": "conversation.created", "if": {"text_contains": ["casino"]}, "then": [{"spam": True}]}]})
    spammer, customer = unique("spammer"), unique("customer")
    junk = gw.conversation_of(gw.ingest(unique("m"), spammer, "Best CASINO bonus, click here"))
    gw.ingest(unique("m"), customer, "hello")
    wait_until(lambda: [r for r in receiver.received() if r["json"] and r["json"]["to"] == customer], what="the customer's acknowledgement")
    detail = wait_until(lambda: (d := gw.get_json("marta", f"conversations/{junk['id']}"))["status"] == "resolved" and d,
                        what="the spam resolved")
    assert detail["tags"] == ["spam"]
    ack = next(m for m in detail["messages"] if (m.get("metadata") or {}).get("purpose") == "acknowledgement")
    assert ack["delivery"]["state"] == "failed" and "marked the conversation as spam" in ack["delivery"]["error"]
    time.sleep(0.5)
    assert not [r for r in receiver.received() if r["json"] and r["json"]["to"] == spammer]
    assert junk["id"] not in [c["id"] for c in gw.conversations(status="open")]


def test_a_rule_replies_with_a_saved_reply_filled_in(gateway, receiver):
    gw = gateway({"rules": [{"id": "welcome", "on": "conversation.created", "then": [{"reply": {"canned": "welcome"}}]}]})
    r = gw.api("marta", "POST", "canned-responses", json={
        "shortcut": "welcome", "title": "Welcome", "scope": "everyone",
        "body": "Hi {customer.first_name}, {owner.name} has your request {reference}."})
    assert r.status_code == 201, r.text
    customer = unique("c")
    conv = gw.conversation_of(gw.ingest(unique("m"), customer, "hello", name="Nora Quinn"))
    [sent] = wait_until(lambda: [q for q in receiver.received() if q["json"] and q["json"]["to"] == customer],
                        what="the saved reply at the channel")
    owner = {"ana": "Ana García", "luis": "Luis Pérez"}[conv["owner"]]
    assert sent["json"]["text"] == f"Hi Nora, {owner} has your request {conv['reference']}."
    lines = rule_lines(gw.get_json("marta", f"conversations/{conv['id']}"), "welcome")
    assert f"Rule 'welcome': replied to the customer through {ADAPTER}" in lines


BROKEN = """\
server: { host: 127.0.0.1, port: 0 }
storage: { sqlite: data.sqlite }
agents:
  - { id: ana, name: Ana, teams: [support], token_env: SB_TOKEN_ANA }
adapters:
  - id: chat
    type: webhook
    open: true
    outbound: { url: "http://127.0.0.1:9/send" }
rules:
  - id: broken
    on: conversation.exploded
    if:
      adapter: [chat]
      mood: angry
      text_matches: "(?i)(invoice|factura"
    then:
      - teleport: mars
      - tag: [x]
"""


def test_check_config_names_file_and_line_of_every_mistake(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    r = subprocess.run([BIN, "check-config", "--config", str(path)], capture_output=True, text=True, timeout=60,
                       env={"SB_TOKEN_ANA": "a" * 40, "PATH": "/usr/bin:/bin"})
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout + r.stderr
    problems = {}
    for line in out.splitlines():
        prefix = f"{path}:"
        if line.startswith(prefix):
            number, _, text = line[len(prefix):].partition(": ")
            problems.setdefault(int(number), []).append(text)
    assert any("unknown event 'conversation.exploded'" in t for t in problems.get(12, [])), out
    assert any("unknown condition 'mood'" in t for t in problems.get(15, [])), out
    assert any("the pattern does not compile" in t and "missing ')'" in t for t in problems.get(16, [])), out
    assert any("unknown action 'teleport'" in t for t in problems.get(18, [])), out
