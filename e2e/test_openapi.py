"""The served OpenAPI document is valid, complete, and describes what the server really answers."""

import copy
import re

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conftest import ADAPTER, message, unique

DOC_URI = "urn:switchboard:openapi"


# A rule that never matches and an integration only rules call: the automation routes answer, and
# nothing else the tests below look at changes.
AUTOMATION = {
    "webhooks": [{"id": "sink", "url": "http://127.0.0.1:9/never", "secret_env": "SINK_SECRET", "events": []}],
    "rules": [{"id": "openapi-probe", "on": "message.created", "if": {"text_contains": ["never-matches-7f3a"]},
               "then": [{"tag": ["probe"]}, {"webhook": "sink"}]}],
}


@pytest.fixture
def spec(gateway):
    gw = gateway(AUTOMATION, env={"SINK_SECRET": "sink-secret-0123456789abcdef"})
    r = requests.get(gw.url + "/api/v1/openapi.yaml", timeout=5)  # no token needed
    assert r.status_code == 200
    doc = yaml.safe_load(r.text)
    assert isinstance(doc, dict) and doc.get("openapi", "").startswith("3.1")
    return gw, doc


def strict(node):
    """A copy where every object schema with properties refuses undocumented keys."""
    if isinstance(node, dict):
        out = {k: strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out and out.get("type") == "object":
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


def response_validator(doc, method, template, status):
    op = doc["paths"][template][method.lower()]
    resp = op["responses"][str(status)]
    if "$ref" in resp:
        resp = doc["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    schema = resp["content"]["application/json"]["schema"]
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(strict(doc), default_specification=DRAFT202012))
    wrapped = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {}, **_rebase(strict(schema))}
    return Draft202012Validator(wrapped, registry=registry, format_checker=FormatChecker())


def _rebase(schema):
    """Points local refs (#/components/...) at the registered document."""
    if isinstance(schema, dict):
        return {k: (DOC_URI + v if k == "$ref" and v.startswith("#") else _rebase(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


def check(doc, method, template, response):
    v = response_validator(doc, method, template, response.status_code)
    errors = sorted(v.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, f"{method} {template} {response.status_code}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_document_is_valid_openapi_31(spec):
    _, doc = spec
    validate(doc)
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for name in ("Error", "ConversationSummary", "ConversationDetail", "Message", "Delivery", "Agent"):
        assert name in doc["components"]["schemas"], name


def test_every_route_is_documented_and_answered(spec):
    gw, doc = spec
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("cust")))
    cid = conv["id"]
    inbound = conv["messages"][0]["id"]
    customer = conv["customer"]["id"]
    other = gw.conversation_of(gw.ingest(unique("m"), unique("other")))["customer"]["id"]
    routes = [
        ("GET", "/api/v1/me", None),
        ("PUT", "/api/v1/me/status", {"status": "available"}),
        ("GET", "/api/v1/conversations", None),
        ("GET", "/api/v1/inbox", None),
        ("GET", f"/api/v1/conversations/{cid}", None),
        ("POST", f"/api/v1/conversations/{cid}/replies", {"body": "hi"}),
        ("POST", f"/api/v1/conversations/{cid}/notes", {"body": "n"}),
        ("POST", f"/api/v1/conversations/{cid}/presence", {"state": "viewing"}),
        ("POST", f"/api/v1/conversations/{cid}/escalations", {"reason": "r"}),
        ("POST", f"/api/v1/conversations/{cid}/assign", {"agent": "ana"}),
        ("POST", f"/api/v1/conversations/{cid}/tags", {"tags": ["billing"]}),
        ("GET", "/api/v1/escalations", None),
        ("POST", "/api/v1/suggestions", {"body": "a macro for late orders"}),
        ("GET", "/api/v1/suggestions", None),
        ("PUT", f"/api/v1/conversations/{cid}/status", {"status": "pending"}),
        ("PUT", f"/api/v1/conversations/{cid}/status", {"status": "open"}),
        ("POST", f"/api/v1/conversations/{cid}/escalation/close", {"note": "handled", "hand_back": True}),
        ("POST", f"/api/v1/conversations/{cid}/callback-done", None),
        ("GET", "/api/v1/reports/summary?since=7d", None),
        ("GET", "/api/v1/reports/conversations.csv", None),
        ("GET", "/api/v1/customers?q=cust", None),
        ("GET", f"/api/v1/customers/{customer}", None),
        ("POST", f"/api/v1/customers/{customer}/identities", {"channel": "email", "address": unique("x") + "@example.com"}),
        ("POST", f"/api/v1/customers/{customer}/merge", {"other": other}),
        ("POST", f"/api/v1/customers/{customer}/unmerge", None),
        ("PUT", f"/api/v1/conversations/{cid}/priority", {"priority": "high"}),
        ("GET", "/api/v1/rules", None),
        ("POST", "/api/v1/rules/openapi-probe/test", {"message": inbound}),
        ("GET", "/api/v1/webhooks", None),
        ("GET", "/api/v1/webhooks/sink/deliveries?state=failed", None),
        ("POST", "/api/v1/webhooks/sink/deliveries/replay", None),
        ("GET", "/api/v1/search?q=cust", None),
        ("GET", "/api/v1/canned-responses", None),
        ("POST", "/api/v1/canned-responses", {"shortcut": "hi", "title": "Hi", "body": "Hi {customer.name}", "scope": "everyone"}),
        ("PUT", "/api/v1/canned-responses/{saved}", {"shortcut": "hi", "title": "Hello", "body": "Hello {customer.name}", "scope": "everyone"}),
        ("POST", "/api/v1/canned-responses/{saved}/render", {"conversation": cid}),
        ("DELETE", "/api/v1/canned-responses/{saved}", None),
        ("GET", "/api/v1/mentions", None),
        ("POST", f"/api/v1/conversations/{cid}/resolve", None),
        ("POST", f"/api/v1/messages/{inbound}/retry", None),
        ("GET", "/api/v1/audit?limit=5", None),
        ("GET", f"/api/v1/customers/{customer}/export?format=html", None),
        ("POST", f"/api/v1/customers/{other}/erase", {"reason": "openapi check"}),
        ("POST", "/api/v1/uploads?filename=note.json", {"a": 1}),
        ("GET", "/media/1/0?expires=1&signature=00", None),
        ("GET", "/api/v1/openapi.yaml", None),
        ("GET", "/healthz", None),
        ("GET", "/readyz", None),
        ("GET", "/metrics", None),
    ]
    templates = {re.sub(r"\{[^}]+\}", "[^/?]+", p) + r"(\?.*)?": p for p in doc["paths"]}
    answered = set()
    saved = None
    for method, path, body in routes:
        if "{saved}" in path:
            path = path.replace("{saved}", str(saved))
        r = gw.api("marta", method, path, json=body)
        if method == "POST" and path == "/api/v1/canned-responses":
            saved = r.json()["id"]
        assert r.status_code not in (404, 405), (method, path, r.status_code, r.text)
        matches = [t for rx, t in templates.items() if re.fullmatch(rx, path)]
        assert matches, f"{method} {path} is answered but not documented"
        assert method.lower() in doc["paths"][matches[0]], f"{method} {matches[0]} not documented"
        op = doc["paths"][matches[0]][method.lower()]
        assert str(r.status_code) in op["responses"], f"{method} {path} answered undocumented {r.status_code}"
        answered.add((method.lower(), matches[0]))
    with requests.get(gw.url + "/api/v1/events", headers={"Authorization": f"Bearer {gw.tokens['ana']}"},
                      stream=True, timeout=5) as r:
        assert r.status_code == 200
    answered.add(("get", "/api/v1/events"))
    # A webhook message has no stored attachment: the route answers its documented 404.
    r = gw.api("marta", "GET", f"/api/v1/messages/{inbound}/attachments/0")
    assert r.status_code == 404 and "404" in doc["paths"]["/api/v1/messages/{id}/attachments/{index}"]["get"]["responses"]
    answered.add(("get", "/api/v1/messages/{id}/attachments/{index}"))
    assert gw.post_hook(ADAPTER, message(unique("h"), unique("c"))).status_code == 200
    answered.add(("post", "/hooks/{adapter}"))
    answered.add(("get", "/hooks/{adapter}"))  # the webhook adapter has no handshake (405): nothing to call
    # Conversely, every documented operation is one the server has.
    documented = {(m, p) for p, item in doc["paths"].items() for m in item if m in ("get", "put", "post", "delete", "patch")}
    assert documented == answered, documented ^ answered


def test_real_responses_match_the_schemas(spec, receiver):
    gw, doc = spec
    c = "/api/v1/conversations/{id}"
    ext = unique("ext")
    mid = gw.ingest(ext, unique("cust") + "@example.com", "hello", name="Named Customer")
    gw.ingest(unique("ext"), unique("anon"), "no name, no ts")
    conv = gw.conversation_of(mid)
    owner, cid = conv["owner"], conv["id"]

    check(doc, "GET", "/api/v1/me", gw.api(owner, "GET", "me"))
    check(doc, "GET", "/api/v1/me", gw.api("marta", "GET", "me"))
    check(doc, "PUT", "/api/v1/me/status", gw.api(owner, "PUT", "me/status", json={"status": "available"}))

    reply = gw.api(owner, "POST", f"conversations/{cid}/replies", json={"body": "hi", "in_reply_to": mid})
    assert reply.status_code == 202
    check(doc, "POST", c + "/replies", reply)
    upload = gw.api(owner, "POST", "uploads?filename=label.pdf", data=b"%PDF-1.4 label", headers={"Content-Type": "application/pdf"})
    assert upload.status_code == 201
    check(doc, "POST", "/api/v1/uploads", upload)
    with_file = gw.api(owner, "POST", f"conversations/{cid}/replies", json={"body": "", "attachments": [{"upload": upload.json()["id"]}]})
    assert with_file.status_code == 202 and with_file.json()["attachments"][0]["stored"] is True
    check(doc, "POST", c + "/replies", with_file)
    gw.wait_delivery(cid, with_file.json()["id"], "delivered")
    gw.wait_delivery(cid, reply.json()["id"], "delivered")
    receiver.always(500)
    failing = gw.api(owner, "POST", f"conversations/{cid}/replies", json={"body": "will fail"})
    gw.wait_delivery(cid, failing.json()["id"], "failed")
    receiver.heal()
    note = gw.api(owner, "POST", f"conversations/{cid}/notes", json={"body": "note"})
    assert note.status_code == 201
    check(doc, "POST", c + "/notes", note)

    r = gw.api(owner, "GET", "conversations")
    check(doc, "GET", "/api/v1/conversations", r)
    assert r.json()["conversations"], "empty list proves little"
    detail = gw.api(owner, "GET", f"conversations/{cid}")
    check(doc, "GET", c, detail)
    directions = {m["direction"] for m in detail.json()["messages"]}
    assert {"inbound", "outbound", "note", "event"} <= directions
    assert {m["delivery"]["state"] for m in detail.json()["messages"] if m["direction"] == "outbound"} == {"delivered", "failed"}

    retry = gw.api(owner, "POST", f"messages/{failing.json()['id']}/retry")
    assert retry.status_code == 202
    check(doc, "POST", "/api/v1/messages/{id}/retry", retry)
    esc = gw.api(owner, "POST", f"conversations/{cid}/escalations", json={"reason": "why"})
    assert esc.status_code == 201
    check(doc, "POST", c + "/escalations", esc)
    check(doc, "GET", "/api/v1/conversations", gw.api("marta", "GET", "conversations?status=all"))
    res = gw.api("marta", "POST", f"conversations/{cid}/resolve")
    assert res.status_code == 200
    check(doc, "POST", c + "/resolve", res)
    check(doc, "GET", c, gw.api("marta", "GET", f"conversations/{cid}"))

    prio = gw.api("marta", "PUT", f"conversations/{cid}/priority", json={"priority": "urgent"})
    assert prio.status_code == 200
    check(doc, "PUT", c + "/priority", prio)
    check(doc, "PUT", c + "/priority", gw.api("marta", "PUT", f"conversations/{cid}/priority", json={"priority": "asap"}))  # 400
    check(doc, "GET", "/api/v1/rules", gw.api("marta", "GET", "rules"))
    check(doc, "GET", "/api/v1/rules", gw.api(owner, "GET", "rules"))  # 403
    test = gw.api("marta", "POST", "rules/openapi-probe/test", json={"message": mid})
    assert test.status_code == 200 and test.json()["matched"] is False
    check(doc, "POST", "/api/v1/rules/{rule}/test", test)
    check(doc, "POST", "/api/v1/rules/{rule}/test", gw.api("marta", "POST", "rules/nope/test", json={"message": mid}))  # 404
    check(doc, "GET", "/api/v1/webhooks", gw.api("marta", "GET", "webhooks"))
    check(doc, "GET", "/api/v1/webhooks/{webhook}/deliveries", gw.api("marta", "GET", "webhooks/sink/deliveries"))
    check(doc, "GET", "/api/v1/webhooks/{webhook}/deliveries", gw.api("marta", "GET", "webhooks/sink/deliveries?state=x"))  # 400
    replay = gw.api("marta", "POST", "webhooks/sink/deliveries/replay", json={"deliveries": [1, 2]})
    assert replay.status_code == 202
    check(doc, "POST", "/api/v1/webhooks/{webhook}/deliveries/replay", replay)
    other = "luis" if owner == "ana" else "ana"
    # Search: a message, a customer card and a reference; saved replies; mentions.
    for q in ("hello", "named", conv["reference"]):
        found = gw.api("marta", "GET", "search", params={"q": q, "limit": 2})
        check(doc, "GET", "/api/v1/search", found)
        assert found.json()["results"], q
    check(doc, "GET", "/api/v1/search", gw.api("marta", "GET", "search", params={"q": "hello", "order": "relevance"}))
    check(doc, "GET", "/api/v1/search", gw.api("marta", "GET", "search", params={"q": ""}))  # 400
    saved = gw.api("marta", "POST", "canned-responses", json={
        "shortcut": "named", "title": "Named", "body": "Hi {customer.first_name}, {context.shop.x}", "scope": "everyone", "language": "en"})
    check(doc, "POST", "/api/v1/canned-responses", saved)
    sid = saved.json()["id"]
    check(doc, "GET", "/api/v1/canned-responses", gw.api("marta", "GET", "canned-responses"))
    check(doc, "GET", "/api/v1/canned-responses", gw.api(owner, "GET", "canned-responses"))
    rendered = gw.api(owner, "POST", f"canned-responses/{sid}/render", json={"conversation": cid})
    check(doc, "POST", "/api/v1/canned-responses/{id}/render", rendered)
    assert rendered.json()["missing"] == ["context.shop.x"]
    check(doc, "POST", "/api/v1/canned-responses", gw.api("marta", "POST", "canned-responses", json={
        "shortcut": "named", "title": "Again", "body": "b", "scope": "everyone"}))  # 409
    check(doc, "PUT", "/api/v1/canned-responses/{id}", gw.api(owner, "PUT", f"canned-responses/{sid}", json={
        "shortcut": "named", "title": "Mine", "body": "b", "scope": "everyone"}))  # 403
    # (On a conversation of its own: the mention lets `other` read it, and the 403 below needs `cid` closed to them.)
    mentioned = gw.conversation_of(gw.ingest(unique("ext"), unique("m") + "@example.com", "mention me", name="Mentioned"))["id"]
    mention = gw.api("marta", "POST", f"conversations/{mentioned}/notes", json={"body": f"@{other} have a look"})
    assert mention.status_code == 201
    mentions = gw.api(other, "GET", "mentions", params={"limit": 1})
    check(doc, "GET", "/api/v1/mentions", mentions)
    assert mentions.json()["mentions"][0]["conversation_id"] == mentioned

    # Errors have the documented shape.
    check(doc, "POST", c + "/resolve", gw.api("marta", "POST", f"conversations/{cid}/resolve"))  # 409
    check(doc, "GET", "/api/v1/me", gw.api(None, "GET", "me"))  # 401
    check(doc, "GET", c, gw.api("marta", "GET", "conversations/999999"))  # 404
    forbidden = gw.api(other, "GET", f"conversations/{cid}")
    assert forbidden.status_code == 403
    check(doc, "GET", c, forbidden)
    check(doc, "POST", "/api/v1/messages/{id}/retry", gw.api(owner, "POST", f"messages/{mid}/retry"))  # 422
    check(doc, "GET", "/api/v1/conversations", gw.api("marta", "GET", "conversations?status=bogus"))  # 400

    # The trust routes (issue 21).
    check(doc, "GET", "/api/v1/audit", gw.api("marta", "GET", "audit?limit=3"))
    erased = gw.api("marta", "POST", f"customers/{conv['customer']['id']}/erase", json={"reason": "schema check"})
    assert erased.status_code == 200, erased.text
    check(doc, "POST", "/api/v1/customers/{id}/erase", erased)
    check(doc, "POST", "/api/v1/customers/{id}/erase", gw.api("marta", "POST", f"customers/{conv['customer']['id']}/erase", json={"reason": "again"}))  # 409
    check(doc, "GET", "/api/v1/audit", gw.api(owner, "GET", "audit"))  # 403

    # The hook and operations answers too.
    check(doc, "POST", "/hooks/{adapter}", gw.post_hook(ADAPTER, message(unique("h"), unique("c"))))
    check(doc, "POST", "/hooks/{adapter}", gw.post_hook(ADAPTER, message(unique("h"), unique("c")), secret="bad"))
    check(doc, "GET", "/readyz", requests.get(gw.url + "/readyz", timeout=5))
    check(doc, "GET", "/healthz", requests.get(gw.url + "/healthz", timeout=5))
