"""Saved replies (`/api/v1/canned-responses`) against the real binary: scopes and who manages them,
rendering with a context provider's value (a real local HTTP server), missing values flagged and
never sent, use counts for supervisors."""

from __future__ import annotations

from conftest import unique
from test_console import Shop, console_gateway, shop  # noqa: F401  (shop is a fixture)


def create(gw, agent, shortcut, body="Hi {customer.first_name}", scope=None, title=None, language=None, status=201):
    payload = {"shortcut": shortcut, "title": title or f"Saved {shortcut}", "body": body}
    if scope:
        payload["scope"] = scope
    if language:
        payload["language"] = language
    r = gw.api(agent, "POST", "canned-responses", json=payload)
    assert r.status_code == status, r.text
    return r.json()


def listed(gw, agent, **params):
    r = gw.api(agent, "GET", "canned-responses", params=params)
    assert r.status_code == 200, r.text
    return r.json()["canned_responses"]


def test_scopes_and_who_manages_them(gateway):
    gw = gateway()
    mine = create(gw, "ana", "/Gracias", body="¡Gracias, {customer.first_name}!", language="es")
    assert mine["shortcut"] == "gracias" and mine["scope"] == "personal" and mine["owner"] == "ana" and mine["language"] == "es"
    assert "uses" not in mine or mine["uses"] == 0
    team = create(gw, "marta", "refund", scope="team:support", body="Your refund is on its way, {customer.first_name}.")
    everyone = create(gw, "marta", "hello", scope="everyone", language="en")
    for scope in ("team:support", "everyone"):
        r = gw.api("ana", "POST", "canned-responses", json={"shortcut": "x", "title": "x", "body": "x", "scope": scope})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert create(gw, "marta", "x", scope="team:nowhere", status=422)["error"]["code"] == "unknown_team"
    assert create(gw, "ana", "gracias", status=409)["error"]["code"] == "shortcut_taken"
    create(gw, "luis", "gracias")  # Luis's own /gracias does not clash with Ana's
    for bad in ({"shortcut": "two words", "title": "t", "body": "b"}, {"shortcut": "ok", "title": "", "body": "b"},
                {"shortcut": "ok", "title": "t", "body": "  "}, {"shortcut": "ok", "title": "t", "body": "b", "scope": "team"},
                {"title": "t", "body": "b"}):
        r = gw.api("ana", "POST", "canned-responses", json=bad)
        assert r.status_code == 400, (bad, r.text)

    assert {r["id"] for r in listed(gw, "ana")} == {mine["id"], team["id"], everyone["id"]}
    assert [r["shortcut"] for r in listed(gw, "luis")] == ["gracias", "hello", "refund"]
    assert {r["id"] for r in listed(gw, "ana", language="es")} == {mine["id"], team["id"]}, "Spanish, and those without a language"
    assert {r["id"] for r in listed(gw, "marta")} == {team["id"], everyone["id"]}, "not the agents' personal ones"

    # Agents change their own; supervisors the shared ones; nobody someone else's personal one.
    change = {"shortcut": "refund", "title": "Refund", "body": "Changed", "scope": "team:support"}
    assert gw.api("ana", "PUT", f"canned-responses/{team['id']}", json=change).status_code == 403
    assert gw.api("marta", "PUT", f"canned-responses/{team['id']}", json=change).json()["body"] == "Changed"
    assert gw.api("luis", "PUT", f"canned-responses/{mine['id']}", json={"shortcut": "g", "title": "g", "body": "g"}).status_code == 404
    r = gw.api("ana", "PUT", f"canned-responses/{mine['id']}", json={"shortcut": "ty", "title": "Thanks", "body": "Thanks!", "language": "en"})
    assert r.status_code == 200 and r.json()["shortcut"] == "ty" and r.json()["id"] == mine["id"]
    assert gw.api("ana", "DELETE", f"canned-responses/{everyone['id']}").status_code == 403
    assert gw.api("marta", "DELETE", f"canned-responses/{mine['id']}").status_code == 404
    assert gw.api("marta", "DELETE", f"canned-responses/{everyone['id']}").status_code == 204
    assert gw.api("marta", "DELETE", f"canned-responses/{everyone['id']}").status_code == 404
    assert gw.api("ana", "PUT", "canned-responses/999999", json={"shortcut": "a", "title": "a", "body": "a"}).status_code == 404


def test_rendering_with_context_missing_values_and_use_counts(gateway, receiver, shop):
    gw = console_gateway(gateway, shop)
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("olga") + "@example.com", "¿Dónde está mi pedido?", name="Olga Ruiz"))
    cid, owner = conv["id"], conv["owner"]
    owner_name = {"ana": "Ana García", "luis": "Luis Pérez"}[owner]
    saved = create(gw, "marta", "status", scope="everyone", language="es", body=(
        "Hola {customer.first_name}: soy {agent.name}. Tu pedido {context.shop.orders.0.id} está {context.shop.orders.0.state}; "
        "{owner.name} lo sigue ({reference}), respuesta antes de {due}. Cupón: {context.shop.coupon}."))
    r = gw.api(owner, "POST", f"canned-responses/{saved['id']}/render", json={"conversation": cid})
    assert r.status_code == 200, r.text
    rendered = r.json()
    assert rendered["missing"] == ["context.shop.coupon"]
    text = rendered["text"]
    assert text.startswith(f"Hola Olga: soy {owner_name}. Tu pedido A-1001 está shipped; {owner_name} lo sigue ({conv['reference']})")
    assert text.endswith("Cupón: ⟦context.shop.coupon⟧."), "the gap is visible, neither blank nor the raw placeholder"
    assert "{" not in text

    # Sent as it is, it is refused and nothing goes out; filled in, it goes.
    r = gw.api(owner, "POST", f"conversations/{cid}/replies", json={"body": text})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unfilled_placeholder", r.text
    assert "context.shop.coupon" in r.json()["error"]["message"]
    assert not [m for m in gw.get_json("marta", f"conversations/{cid}")["messages"] if m["direction"] == "outbound"]
    r = gw.api(owner, "POST", f"conversations/{cid}/replies", json={"body": text.replace("⟦context.shop.coupon⟧", "VERANO10")})
    assert r.status_code == 202
    gw.wait_delivery(cid, r.json()["id"], "delivered")
    assert receiver.received()[-1]["json"]["text"].endswith("Cupón: VERANO10.")

    # Somebody who may not read the conversation cannot fill anything in for it.
    other = "luis" if owner == "ana" else "ana"
    assert gw.api(other, "POST", f"canned-responses/{saved['id']}/render", json={"conversation": cid}).status_code == 403
    assert gw.api(owner, "POST", "canned-responses/999999/render", json={"conversation": cid}).status_code == 404
    assert gw.api(owner, "POST", f"canned-responses/{saved['id']}/render", json={"conversation": 999999}).status_code == 404
    assert gw.api(owner, "POST", f"canned-responses/{saved['id']}/render", json={}).status_code == 400
    # Supervisors see how often each is used; agents do not.
    assert next(r for r in listed(gw, "marta") if r["id"] == saved["id"])["uses"] == 1
    assert "uses" not in next(r for r in listed(gw, owner) if r["id"] == saved["id"])
