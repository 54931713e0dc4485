"""Listening and learning: tags on conversations, the escalation list for supervisors, and
suggestions that go upward."""

from conftest import message, unique


def test_tags_escalations_and_suggestions(gateway):
    gw = gateway()
    assert gw.post_hook(payload=message(unique("m"), unique("c") + "@example.com", "late order")).status_code == 200
    [conv] = gw.conversations()
    owner = conv["owner"]

    r = gw.api(owner, "POST", f"conversations/{conv['id']}/tags", json={"tags": ["Late-Delivery", "billing"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"tags": ["billing", "late-delivery"]}
    r = gw.api(owner, "POST", f"conversations/{conv['id']}/tags", json={"tags": ["billing"]})
    assert r.json() == {"tags": ["billing", "late-delivery"]}, "adding a tag twice changes nothing"
    assert gw.get_json(owner, f"conversations/{conv['id']}")["tags"] == ["billing", "late-delivery"]
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/tags", json={"tags": []}).status_code == 400
    other = "luis" if owner == "ana" else "ana"
    assert gw.api(other, "POST", f"conversations/{conv['id']}/tags", json={"tags": ["x"]}).status_code == 403

    assert gw.get_json("marta", "escalations")["conversations"] == []
    assert gw.api(owner, "GET", "escalations").status_code == 403, "supervisors only"
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/escalations", json={"reason": "refund over limit"}).status_code == 201
    [escalated] = gw.get_json("marta", "escalations")["conversations"]
    assert escalated["id"] == conv["id"] and escalated["escalated"] is True

    r = gw.api(owner, "POST", "suggestions", json={"body": "A macro for late orders", "conversation": conv["id"]})
    assert r.status_code == 201, r.text
    assert r.json()["author"] == owner
    assert gw.api(other, "POST", "suggestions", json={"body": "x", "conversation": conv["id"]}).status_code == 403
    assert gw.api(other, "POST", "suggestions", json={"body": "Shorter greeting"}).status_code == 201
    assert gw.api(owner, "GET", "suggestions").status_code == 403
    listed = gw.get_json("marta", "suggestions")["suggestions"]
    assert [s["body"] for s in listed] == ["Shorter greeting", "A macro for late orders"]
