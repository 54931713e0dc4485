"""Customers across channels: identities normalized per namespace (`identity:` on webhook adapters),
search and visibility, linking an identity, merge / unmerge, and a quoted reference (`SB-000123`)
that brings a new address to its customer."""

from conftest import ADAPTER, message, unique, wait_until


def webhook(adapter_id: str, url: str, identity: str, **extra) -> dict:
    """A second unsigned webhook adapter in the identity namespace `identity` (declared open)."""
    return {"id": adapter_id, "type": "webhook", "team": "support", "identity": identity, "open": True,
            "inbound": {"message_id": "/id", "customer": "/from", "customer_name": "/name", "text": "/text"},
            "outbound": {"url": url}, **extra}


def shop_chat(url: str, identity: str = "email") -> dict:
    """The signed `shop-chat` adapter of the base config, in the given identity namespace."""
    return {"id": ADAPTER, "type": "webhook", "team": "support", "secret_env": "SHOP_CHAT_SECRET", "identity": identity,
            "inbound": {"message_id": "/id", "customer": "/from", "customer_name": "/name", "text": "/text", "sent_at": "/ts"},
            "outbound": {"url": url, "timeout": "5s"}}


def send(gw, adapter, customer, text="hello", name=None):
    """Posts one message through an unsigned adapter and returns the stored message id."""
    r = gw.post_hook(adapter, message(unique("m"), customer, text, name), secret=None)
    assert r.status_code == 200, f"hook {adapter} answered {r.status_code}: {r.text}"
    return r.json()["messages"][0]


def inbound_ids(detail):
    return [m["id"] for m in detail["messages"] if m["direction"] == "inbound"]


def other_agent(agent):
    return "luis" if agent == "ana" else "ana"


def two_channel_gateway(gateway, receiver, **routing):
    """shop-chat (e-mail addresses) and `wa` (phone numbers)."""
    overrides = {"adapters": [shop_chat(receiver.url), webhook("wa", receiver.url, "phone")]}
    if routing:
        overrides["routing"] = routing
    return gateway(overrides)


# ---------------------------------------------------------------------------------------------
# identities


def test_one_phone_number_written_three_ways_on_two_adapters_is_one_customer(gateway, receiver):
    gw = gateway({"adapters": [shop_chat(receiver.url), webhook("sms", receiver.url, "phone"),
                               webhook("wa", receiver.url, "phone")]})
    m1 = send(gw, "sms", "+34 600-123-456", "where is my parcel?", name="Rosa Vidal")
    m2 = send(gw, "wa", "0034600123456", "hello? same question on WhatsApp")
    m3 = send(gw, "sms", "+34600123456", "still waiting")
    other = send(gw, "wa", "+34 600-123-457", "I am someone else", name="Rosa Vidal")

    conv = gw.conversation_of(m1)
    assert inbound_ids(conv) == [m1, m2, m3], "one thread for one number, in time order"
    customer = conv["customer"]
    assert customer["contacts"] == 3
    assert customer["contacts_by_channel"] == {"sms": 2, "wa": 1}
    assert customer["contacts_last_30_days"] == 3
    assert customer["first_contact_at"] <= customer["last_contact_at"]
    assert [(i["channel"], i["address"]) for i in customer["identities"]] == [("phone", "+34600123456")]
    # A different number with the same display name is a different customer.
    stranger = gw.conversation_of(other)
    assert stranger["id"] != conv["id"] and stranger["customer"]["id"] != customer["id"]
    assert stranger["customer"]["contacts"] == 1
    assert len(gw.conversations()) == 2


def test_email_addresses_are_case_folded_across_adapters_and_names_never_merge(gateway, receiver):
    gw = gateway({"adapters": [shop_chat(receiver.url), webhook("mail2", receiver.url, "email")]})
    a1 = gw.ingest(unique("a"), "Alice.Ng@Example.COM", "first", name="Sam Lee")
    a2 = send(gw, "mail2", "alice.ng@example.com", "second, from the other form")
    b1 = send(gw, "mail2", "sam.lee@example.com", "I share her display name", name="Sam Lee")

    conv = gw.conversation_of(a1)
    assert inbound_ids(conv) == [a1, a2]
    assert conv["customer"]["contacts_by_channel"] == {ADAPTER: 1, "mail2": 1}
    assert [(i["channel"], i["address"]) for i in conv["customer"]["identities"]] == [("email", "alice.ng@example.com")]
    assert gw.conversation_of(b1)["id"] != conv["id"], "display names never merge customers"


# ---------------------------------------------------------------------------------------------
# lookup and search


def test_customer_lookup_and_search_respect_visibility(gateway, receiver):
    gw = gateway({"adapters": [shop_chat(receiver.url), webhook("sms", receiver.url, "phone")]})
    b = gw.conversation_of(gw.ingest(unique("b"), "Beatriz.Olmo@Example.com", "hello", name="Beatriz Olmo"))
    t = gw.conversation_of(send(gw, "sms", "+34 611 22 33 44", "hola", name="Tomás Ruiz"))
    b_owner, t_owner = b["owner"], t["owner"]
    assert b_owner != t_owner, "two new customers go to two agents"
    bid, tid = b["customer"]["id"], t["customer"]["id"]

    def search(agent, q):
        r = gw.api(agent, "GET", "customers", params={"q": q})
        assert r.status_code == 200, (agent, q, r.status_code, r.text)
        return [c["id"] for c in r.json()["customers"]]

    # Supervisor: by name (any case), by part of an address, by phone digits however written.
    assert search("marta", "olmo") == [bid]
    assert search("marta", "BEATRIZ.OLMO@") == [bid]
    assert search("marta", "611 22 33") == [tid]
    assert search("marta", "+34-611-223") == [tid]
    assert search("marta", "tomás") == [tid]
    assert search("marta", "nobody-like-this") == []
    # Agents only find the customers of conversations they own or are assigned.
    assert search(b_owner, "olmo") == [bid]
    assert search(t_owner, "olmo") == []
    assert search(b_owner, "611 22 33") == []
    # Too short, or missing, is a 400.
    for path in ("customers?q=o", "customers?q=%20%20", "customers"):
        r = gw.api("marta", "GET", path)
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert r.json()["error"]["code"]

    # GET /customers/{id}: the owner and a supervisor see it, another agent gets 403.
    mine = gw.get_json(b_owner, f"customers/{bid}")
    assert mine["id"] == bid and mine["name"] == "Beatriz Olmo" and mine["conversation"] == b["id"]
    assert mine["contacts"] == 1 and mine["contacts_by_channel"] == {ADAPTER: 1}
    assert [(i["channel"], i["address"]) for i in mine["identities"]] == [("email", "beatriz.olmo@example.com")]
    assert gw.get_json("marta", f"customers/{tid}")["identities"][0]["address"] == "+34611223344"
    r = gw.api(t_owner, "GET", f"customers/{bid}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert gw.api("marta", "GET", "customers/999999").status_code == 404
    assert gw.api(None, "GET", f"customers/{bid}").status_code == 401

    # A full name, as a browser form or `requests` encodes it (space as '+').
    assert search("marta", "Beatriz Olmo") == [bid]
    assert search("marta", "+34 611 22") == [tid]
    r = gw.api("marta", "GET", "customers", params={"q": "  "})
    assert r.status_code == 400, ("blank q", r.status_code, r.text)


# ---------------------------------------------------------------------------------------------
# linking an identity


def test_agent_links_a_phone_and_the_next_message_from_it_joins_the_thread(gateway, receiver):
    gw = gateway({"adapters": [shop_chat(receiver.url), webhook("sms", receiver.url, "phone")]})
    conv = gw.conversation_of(gw.ingest(unique("e"), "carla@example.com", "my order", name="Carla Díaz"))
    owner, cid = conv["owner"], conv["customer"]["id"]

    r = gw.api(other_agent(owner), "POST", f"customers/{cid}/identities", json={"channel": "phone", "address": "+34600123456"})
    assert r.status_code == 403, r.text
    r = gw.api(owner, "POST", f"customers/{cid}/identities", json={"channel": "phone", "address": "+34 600 123 456"})
    assert r.status_code == 201, r.text
    linked = r.json()
    assert linked["id"] == cid
    assert ("phone", "+34600123456") in [(i["channel"], i["address"]) for i in linked["identities"]], "stored in E.164"
    events = [m for m in gw.get_json(owner, f"conversations/{conv['id']}")["messages"] if m["direction"] == "event"]
    assert any("+34600123456" in m["body"] and owner in m["body"] for m in events), events

    # The customer now texts from that number, written another way: same thread, same owner.
    sms = send(gw, "sms", "0034 600 123 456", "it's Carla, from my phone")
    again = gw.conversation_of(sms)
    assert again["id"] == conv["id"]
    assert again["owner"] == owner and again["assignee"] == owner
    assert again["customer"]["contacts"] == 2
    assert again["customer"]["contacts_by_channel"] == {ADAPTER: 1, "sms": 1}
    assert len(gw.conversations()) == 1

    # Linking it again, to anyone, is a conflict; malformed addresses are refused.
    r = gw.api(owner, "POST", f"customers/{cid}/identities", json={"channel": "phone", "address": "+34600123456"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_linked", r.text
    other = gw.conversation_of(send(gw, "sms", "+34 699 000 111", "another person"))
    r = gw.api("marta", "POST", f"customers/{other['customer']['id']}/identities",
               json={"channel": "email", "address": "CARLA@example.com"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "identity_taken", r.text
    for body in ({"channel": "phone", "address": "600123"}, {"channel": "email", "address": "not-an-address"},
                 {"channel": "phone", "address": ""}, {"channel": "", "address": "x@example.com"}):
        r = gw.api(owner, "POST", f"customers/{cid}/identities", json=body)
        assert r.status_code == 400, (body, r.status_code, r.text)
    assert gw.api("marta", "POST", "customers/999999/identities",
                  json={"channel": "email", "address": "z@example.com"}).status_code == 404
    # Nothing of that changed the customer.
    idents = gw.get_json(owner, f"customers/{cid}")["identities"]
    assert sorted((i["channel"], i["address"]) for i in idents) == [("email", "carla@example.com"), ("phone", "+34600123456")]


# ---------------------------------------------------------------------------------------------
# merge and unmerge


def test_email_then_whatsapp_merged_into_one_thread_owned_by_first_owner_and_unmerge_restores(gateway, receiver):
    gw = two_channel_gateway(gateway, receiver)
    e1 = gw.ingest(unique("e"), "carla@example.com", "my order #123 is late", name="Carla Díaz")
    conv_e = gw.conversation_of(e1)
    w1 = send(gw, "wa", "+34 600 123 456", "hi, it's Carla again (whatsapp)")
    conv_w = gw.conversation_of(w1)
    x, y = conv_e["owner"], conv_w["owner"]
    assert x != y and conv_e["id"] != conv_w["id"]
    ce, cw = conv_e["customer"]["id"], conv_w["customer"]["id"]

    # The number is someone else's customer already: linking it is refused with the way out.
    r = gw.api("marta", "POST", f"customers/{ce}/identities", json={"channel": "phone", "address": "+34600123456"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "identity_taken", r.text
    # The owner of the e-mail thread cannot see the WhatsApp one: no merge.
    r = gw.api(x, "POST", f"customers/{ce}/merge", json={"other": cw})
    assert r.status_code == 403, r.text

    r = gw.api("marta", "POST", f"customers/{ce}/merge", json={"other": cw})
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["id"] == ce
    assert sorted((i["channel"], i["address"]) for i in merged["identities"]) == [("email", "carla@example.com"), ("phone", "+34600123456")]
    assert merged["contacts"] == 2 and merged["contacts_by_channel"] == {ADAPTER: 1, "wa": 1}

    thread = gw.get_json("marta", f"conversations/{conv_e['id']}")
    assert inbound_ids(thread) == [e1, w1]
    stamps = [m["created_at"] for m in thread["messages"]]
    assert stamps == sorted(stamps), "one thread in time order"
    assert thread["owner"] == x and thread["assignee"] == x and thread["status"] == "open"
    merge_events = [m for m in thread["messages"] if m["direction"] == "event" and "merged" in m["body"]]
    assert merge_events and "marta" in merge_events[-1]["body"], thread["messages"]
    assert gw.get_json(x, f"conversations/{conv_e['id']}")["id"] == conv_e["id"]

    absorbed = gw.get_json("marta", f"conversations/{conv_w['id']}")
    assert absorbed["status"] == "merged" and absorbed["merged_into"] == conv_e["id"]
    assert inbound_ids(absorbed) == []
    assert gw.get_json("marta", f"customers/{cw}")["merged_into"] == ce
    found = gw.get_json("marta", "customers?q=600123456")["customers"]
    assert [c["id"] for c in found] == [ce], "search finds the surviving customer only"
    assert conv_w["id"] not in [c["id"] for c in gw.conversations(y, "open")]
    assert gw.api(y, "GET", f"conversations/{conv_e['id']}").status_code == 403

    # She writes again on WhatsApp: it lands in the merged thread.
    w2 = send(gw, "wa", "0034600123456", "any news?")
    assert gw.conversation_of(w2)["id"] == conv_e["id"]
    # The owner answers that one on WhatsApp, and she e-mails once more.
    r = gw.api(x, "POST", f"conversations/{conv_e['id']}/replies", json={"body": "Tomorrow!", "in_reply_to": w2})
    assert r.status_code == 202, r.text
    reply = r.json()
    assert reply["adapter"] == "wa"
    e2 = gw.ingest(unique("e"), "CARLA@example.com", "thanks")
    assert gw.conversation_of(e2)["id"] == conv_e["id"]

    # Only a supervisor undoes it.
    assert gw.api(x, "POST", f"customers/{ce}/unmerge").status_code == 403
    r = gw.api("marta", "POST", f"customers/{ce}/unmerge")
    assert r.status_code == 200, r.text
    assert [(i["channel"], i["address"]) for i in r.json()["identities"]] == [("email", "carla@example.com")]

    e_after = gw.get_json("marta", f"conversations/{conv_e['id']}")
    w_after = gw.get_json("marta", f"conversations/{conv_w['id']}")
    assert inbound_ids(e_after) == [e1, e2], "what came in by e-mail stays"
    assert inbound_ids(w_after) == [w1, w2], "what came in through the moved number goes back too"
    assert reply["id"] in [m["id"] for m in w_after["messages"]], "the answer to a moved message goes with it"
    assert reply["id"] not in [m["id"] for m in e_after["messages"]]
    assert e_after["owner"] == x and e_after["status"] == "open"
    assert w_after["owner"] == y and w_after["assignee"] == y and w_after["status"] == "open"
    assert w_after.get("merged_into") is None
    assert e_after["customer"]["contacts"] == 2
    assert w_after["customer"]["contacts"] == 2 and w_after["customer"]["contacts_by_channel"] == {"wa": 2}
    assert w_after["customer"].get("merged_into") is None
    assert gw.api(y, "GET", f"conversations/{conv_w['id']}").status_code == 200
    assert conv_w["id"] in [c["id"] for c in gw.conversations(y, "open")]
    # And the number belongs to the WhatsApp customer again.
    w3 = send(gw, "wa", "+34600123456", "hello?")
    assert gw.conversation_of(w3)["id"] == conv_w["id"]

    r = gw.api("marta", "POST", f"customers/{ce}/unmerge")
    assert r.status_code == 409 and r.json()["error"]["code"] == "nothing_to_undo", r.text


def test_merge_keeps_the_owner_of_the_earlier_conversation_whichever_way_round(gateway, receiver):
    gw = two_channel_gateway(gateway, receiver)
    e1 = gw.ingest(unique("e"), "dani@example.com", "first contact", name="Dani")
    w1 = send(gw, "wa", "+34 622 000 111", "second contact")
    conv_e, conv_w = gw.conversation_of(e1), gw.conversation_of(w1)
    first_owner = conv_e["owner"]
    assert conv_w["owner"] != first_owner

    # The later customer survives, but the earlier owner keeps the customer.
    r = gw.api("marta", "POST", f"customers/{conv_w['customer']['id']}/merge", json={"other": conv_e["customer"]["id"]})
    assert r.status_code == 200, r.text
    thread = gw.get_json("marta", f"conversations/{conv_w['id']}")
    assert thread["owner"] == first_owner, thread
    assert thread["assignee"] == first_owner
    assert inbound_ids(thread) == [e1, w1]
    assert thread["customer"]["name"] == "Dani", "a survivor without a name takes the other's"
    assert gw.get_json("marta", f"conversations/{conv_e['id']}")["status"] == "merged"
    assert conv_w["id"] in [c["id"] for c in gw.conversations(first_owner, "open")]
    assert conv_w["id"] not in [c["id"] for c in gw.conversations(conv_w["owner"], "open")]


def test_an_agent_merges_two_customers_they_own_and_bad_merges_are_refused(gateway, receiver):
    gw = two_channel_gateway(gateway, receiver)
    assert gw.api("luis", "PUT", "me/status", json={"status": "away"}).status_code == 200
    conv_a = gw.conversation_of(gw.ingest(unique("e"), "eva@example.com", "hi", name="Eva"))
    conv_b = gw.conversation_of(send(gw, "wa", "+34 633 000 222", "hi from my phone"))
    third = gw.conversation_of(send(gw, "wa", "+34 633 000 333", "someone else"))
    assert conv_a["owner"] == conv_b["owner"] == "ana"
    a, b = conv_a["customer"]["id"], conv_b["customer"]["id"]

    r = gw.api("ana", "POST", f"customers/{a}/merge", json={"other": a})
    assert r.status_code == 400, r.text
    assert gw.api("ana", "POST", f"customers/{a}/merge", json={"other": 999999}).status_code == 404
    assert gw.api("ana", "POST", f"customers/{a}/merge", json={}).status_code == 400

    r = gw.api("ana", "POST", f"customers/{a}/merge", json={"other": b})
    assert r.status_code == 200, r.text
    thread = gw.get_json("ana", f"conversations/{conv_a['id']}")
    assert any(m["direction"] == "event" and "ana" in m["body"] and "merged" in m["body"] for m in thread["messages"])
    assert thread["customer"]["contacts"] == 2
    # Merging the absorbed customer again is a conflict; an agent may not undo.
    r = gw.api("ana", "POST", f"customers/{third['customer']['id']}/merge", json={"other": b})
    assert r.status_code == 409, r.text
    assert gw.api("ana", "POST", f"customers/{a}/unmerge").status_code == 403
    assert gw.api("marta", "POST", f"customers/{third['customer']['id']}/unmerge").status_code == 409


# ---------------------------------------------------------------------------------------------
# the reference as a key


def test_a_stranger_quoting_a_reference_gets_a_suggestion_not_the_conversation(gateway, receiver):
    gw = two_channel_gateway(gateway, receiver, acknowledge=True)
    conv = gw.conversation_of(gw.ingest(unique("e"), "gina@example.com", "my refund", name="Gina"))
    ref = conv["reference"]
    # Readable on the phone, not enumerable: the number, then a check part only the gateway computes.
    number, check = ref[3:].split("-")
    assert ref.startswith("SB-") and int(number) == conv["id"] and len(check) == 5, ref
    owner = conv["owner"]
    assert gw.api(owner, "POST", f"conversations/{conv['id']}/resolve").status_code == 200
    bystander = gw.conversation_of(send(gw, "wa", "+34 644 000 999", "unrelated question"))
    before = len(receiver.received())

    # The attack: an unknown number quotes Gina's reference.
    w = send(gw, "wa", "+34 644 555 666", f"Hello, this is Gina from my phone about [{ref.lower()}]")
    stranger = gw.get_json("marta", f"conversations/{gw.conversation_of(w)['id']}")
    assert stranger["id"] != conv["id"]
    assert stranger["customer"]["id"] != conv["customer"]["id"]
    events = [m["body"] for m in stranger["messages"] if m["direction"] == "event"]
    suggestion = [b for b in events if ref in b and f"into customer {conv['customer']['id']}" in b]
    assert suggestion, events
    # Gina's conversation did not reopen nor gain the number; the stranger's acknowledgement is of
    # their own request (never Gina's reference).
    gina = gw.get_json("marta", f"conversations/{conv['id']}")
    assert gina["status"] == "resolved"
    assert [i["address"] for i in gina["customer"]["identities"]] == ["gina@example.com"]
    acks = wait_until(lambda: [r for r in receiver.received()[before:] if r["json"] and "555" in str(r["json"].get("to"))],
                      what="the stranger's acknowledgement")
    assert all(ref not in r["json"]["text"] for r in acks)

    # The agent's next reply to Gina goes to Gina.
    r = gw.api("marta", "POST", f"conversations/{conv['id']}/replies", json={"body": "Your refund is on its way"})
    assert r.status_code == 202, r.text
    sent = wait_until(lambda: [x for x in receiver.received() if x["json"] and x["json"].get("text") == "Your refund is on its way"],
                      what="the reply")
    assert sent[0]["json"]["to"] == "gina@example.com" and sent[0]["path"] == "/send"

    # When it really is Gina, the agent accepts the suggestion: one customer, both addresses.
    r = gw.api("marta", "POST", f"customers/{conv['customer']['id']}/merge", json={"other": stranger["customer"]["id"]})
    assert r.status_code == 200, r.text
    merged = gw.get_json("marta", f"conversations/{conv['id']}")
    assert {i["address"] for i in merged["customer"]["identities"]} == {"gina@example.com", "+34644555666"}

    # A known customer quoting someone else's reference stays their own customer, and the bare
    # number, a wrong check part or a longer token is no reference at all.
    again = gw.conversation_of(send(gw, "wa", "+34 644 000 999", f"I saw {ref} somewhere"))
    assert again["id"] == bystander["id"]
    for i, text in enumerate((f"about SB-{number}", f"about SB-{number}-ZZZZZ", f"about X{ref}", f"about {ref}B")):
        fresh = gw.get_json("marta", f"conversations/{gw.conversation_of(send(gw, 'wa', f'+34 655 000 00{i}', text))['id']}")
        assert fresh["id"] not in (conv["id"], bystander["id"]), text
        assert not any(ref in m["body"] for m in fresh["messages"] if m["direction"] == "event"), text
