"""Listening and learning: tags on conversations, the escalation list for supervisors, and
suggestions that go upward."""

from conftest import message, unique, wait_until


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


def test_a_supervisor_closes_an_escalation_and_hands_the_conversation_back(gateway):
    gw = gateway()
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("esc")))
    owner, cid = conv["owner"], conv["id"]
    assert gw.api(owner, "POST", f"conversations/{cid}/escalations", json={"reason": "angry customer"}).status_code == 201
    assert gw.get_json("marta", f"conversations/{cid}")["assignee"] == "marta"
    assert gw.api(owner, "POST", f"conversations/{cid}/escalation/close", json={}).status_code == 403
    closed = gw.api("marta", "POST", f"conversations/{cid}/escalation/close", json={"note": "calmed down", "hand_back": True})
    assert closed.status_code == 201, closed.text
    assert "closed the escalation: calmed down" in closed.json()["body"]
    after = gw.get_json("marta", f"conversations/{cid}")
    assert after["escalated"] is False and after["status"] == "open" and after["assignee"] == owner
    assert [c["id"] for c in gw.get_json("marta", "escalations")["conversations"]] == []
    again = gw.api("marta", "POST", f"conversations/{cid}/escalation/close", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_escalated"


def test_team_figures_are_exported_as_metrics(gateway):
    gw = gateway()
    gw.ingest(unique("m"), unique("fig"))
    gw.ingest(unique("m"), unique("fig"))

    def figures():
        text = gw.session.get(gw.url + "/metrics", timeout=5).text
        return text if 'switchboard_conversations{status="open"} 2' in text else None

    text = wait_until(figures, timeout=30, what="conversation gauges in /metrics")
    assert "switchboard_conversations_awaiting_answer 2" in text


def test_supervisors_see_breached_promises_in_their_inbox(gateway):
    gw = gateway({"routing": {"first_response": "1s"}})
    late = gw.conversation_of(gw.ingest(unique("m"), unique("late")))

    def breached():
        r = gw.api("marta", "GET", "inbox?scope=breached")
        assert r.status_code == 200, r.text
        return [e["conversation"]["id"] for e in r.json()["conversations"]] or None

    assert wait_until(breached, timeout=20, what="a breached conversation in the inbox") == [late["id"]]
    assert gw.api(late["owner"], "GET", "inbox?scope=breached").status_code == 403
