"""Inbound media with two gateways on one real PostgreSQL: a WhatsApp photo posted to the gateway that
is not the leader is stored there, its fetch job is done by the elected gateway only (the platform is
asked once), and the photo is downloadable through either gateway."""

from __future__ import annotations

import os
import uuid

import pytest

from conftest import AGENTS, base_config, wait_until
from test_cluster import PostgresGateway, database, postgres  # noqa: F401  (fixtures)
from test_cluster_background import is_leader
from test_inbound_media import CORPUS, JPEG, CORPUS_NUMBER_ID, FakeGraphBase, media, serve_whatsapp  # noqa: F401
from test_social_meta import ENV as META_ENV, post_meta, whatsapp_adapter


@pytest.fixture
def media_cluster(tmp_path, receiver, database, media):  # noqa: F811
    started: list[PostgresGateway] = []
    for i in range(2):
        workdir = tmp_path / f"gw{i}"
        workdir.mkdir()
        config = base_config(workdir, receiver.url)
        config["storage"] = {"postgres": database}
        config["adapters"] = [whatsapp_adapter(FakeGraphBase(media.base), phone_number_id=CORPUS_NUMBER_ID)]
        tokens = {a: f"tok-{a}-{uuid.uuid4().hex}" for a in AGENTS}
        env = {k: v for k, v in os.environ.items() if not k.startswith("SB_TOKEN_")}
        env.update({f"SB_TOKEN_{a.upper()}": t for a, t in tokens.items()})
        env.update(META_ENV)
        gw = PostgresGateway(workdir, config, env, tokens, None)
        started.append(gw)
        gw.start()
    yield started
    for gw in started:
        gw.stop()
        gw.session.close()


def test_only_the_leader_fetches_and_either_gateway_serves_the_photo(media_cluster, media):  # noqa: F811
    a, b = media_cluster
    leader = wait_until(lambda: next((g for g in (a, b) if is_leader(g)), None), 30, what="a leader")
    follower = b if leader is a else a
    serve_whatsapp(media, "65463453", JPEG, "image/jpeg")

    r = post_meta(follower, "wa", (CORPUS / "social/whatsapp/pywa_split/message__image.json").read_bytes())
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    [message_id] = r.json()["messages"]

    def settled():
        conv = follower.conversation_of(message_id)
        [m] = [m for m in conv["messages"] if m["id"] == message_id]
        return conv if m["attachments"][0].get("stored") is True else None

    conv = wait_until(settled, 30, what="the photo fetched")
    assert len(media.hits("/v21.0/65463453")) == 1, "asked once, by one gateway"
    assert 'switchboard_media_fetches_total{adapter="wa",result="stored"} 1' in leader.metrics()
    assert "switchboard_media_fetches_total" not in follower.metrics()
    for gw in (a, b):
        r = gw.api(conv["owner"], "GET", f"messages/{message_id}/attachments/0")
        assert r.status_code == 200 and r.content == JPEG
