"""Ownership that holds: an away owner is covered by their deputy, gets the conversation back when
available again, and supervisors can reassign. Every change is an event in the thread."""

from conftest import message, unique, wait_until


def events_of(gw, conv_id):
    return [m["body"] for m in gw.get_json("marta", f"conversations/{conv_id}")["messages"] if m["direction"] == "event"]


def test_deputy_covers_while_owner_is_away_and_hands_back(gateway):
    gw = gateway({"agents": [
        {"id": "ana", "name": "Ana", "teams": ["support"], "deputy": "luis", "token_env": "SB_TOKEN_ANA"},
        {"id": "luis", "name": "Luis", "teams": ["support"], "token_env": "SB_TOKEN_LUIS"},
        {"id": "marta", "name": "Marta", "role": "supervisor", "teams": ["support"], "token_env": "SB_TOKEN_MARTA"},
    ]})
    # luis is away at first, so the new customer goes to ana and ana becomes the owner.
    assert gw.api("luis", "PUT", "me/status", json={"status": "away"}).status_code == 200
    customer = unique("cust") + "@example.com"
    assert gw.post_hook(payload=message(unique("m"), customer, "first")).status_code == 200
    [conv] = gw.conversations()
    assert conv["owner"] == "ana" and conv["assignee"] == "ana"

    assert gw.api("luis", "PUT", "me/status", json={"status": "available"}).status_code == 200
    assert gw.api("ana", "PUT", "me/status", json={"status": "away"}).status_code == 200
    assert gw.post_hook(payload=message(unique("m"), customer, "second")).status_code == 200
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert detail["owner"] == "ana", "the owner stays the owner"
    assert detail["assignee"] == "luis", "the deputy covers"
    assert any("deputy luis covers" in e for e in events_of(gw, conv["id"]))
    # luis now sees it; ana still does (she owns it).
    assert gw.api("luis", "GET", f"conversations/{conv['id']}").status_code == 200
    assert gw.api("ana", "GET", f"conversations/{conv['id']}").status_code == 200

    assert gw.api("ana", "PUT", "me/status", json={"status": "available"}).status_code == 200
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert detail["assignee"] == "ana", "back to the owner when she is available again"
    assert any("back to the owner" in e for e in events_of(gw, conv["id"]))
    assert gw.api("luis", "GET", f"conversations/{conv['id']}").status_code == 403


def test_waiting_conversation_goes_to_the_first_agent_who_becomes_available(gateway):
    gw = gateway()
    for agent in ("ana", "luis"):
        assert gw.api(agent, "PUT", "me/status", json={"status": "offline"}).status_code == 200
    assert gw.post_hook(payload=message(unique("m"), unique("c") + "@example.com", "anyone?")).status_code == 200
    [conv] = gw.conversations()
    assert conv.get("owner") is None and conv.get("assignee") is None, conv
    assert any("no agent" in e for e in events_of(gw, conv["id"]))
    assert gw.api("luis", "PUT", "me/status", json={"status": "available"}).status_code == 200
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert detail["owner"] == "luis" and detail["assignee"] == "luis"


def test_supervisor_reassigns_and_changes_the_owner(gateway):
    gw = gateway()
    assert gw.post_hook(payload=message(unique("m"), unique("c") + "@example.com", "hi")).status_code == 200
    [conv] = gw.conversations()
    other = "luis" if conv["owner"] == "ana" else "ana"
    r = gw.api(conv["owner"], "POST", f"conversations/{conv['id']}/assign", json={"agent": other})
    assert r.status_code == 403, "only supervisors assign"
    r = gw.api("marta", "POST", f"conversations/{conv['id']}/assign", json={"agent": other, "owner": True})
    assert r.status_code == 201, r.text
    assert r.json()["direction"] == "event"
    detail = gw.get_json("marta", f"conversations/{conv['id']}")
    assert detail["owner"] == other and detail["assignee"] == other
    r = gw.api("marta", "POST", f"conversations/{conv['id']}/assign", json={"agent": "nobody"})
    assert r.status_code == 422
