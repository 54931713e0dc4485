"""The audit trail (issue 21): what is recorded, the supervisors' listing, `switchboard audit verify`
and `export`, and a row edited in the database found by name — on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from conftest import unique
from trust_support import audit, chain_hash, cli, pg_gateway, postgres, psql, set_password, sign_in, sign_out  # noqa: F401


def exercise(gw):
    """Does one of each recorded thing; returns the conversation touched."""
    set_password(gw, "ana", "correct horse battery staple")
    assert sign_in(gw, agent="ana", password="wrong password").status_code == 401
    assert sign_in(gw, agent="nobody-here", password="x").status_code == 401
    ok = sign_in(gw, agent="ana", password="correct horse battery staple")
    assert ok.status_code == 201, ok.text
    assert sign_out(ok).status_code == 204
    conv = gw.conversation_of(gw.ingest(unique("m"), unique("cust")))
    other = "luis" if conv["assignee"] == "ana" else "ana"
    assert gw.api("marta", "POST", f"conversations/{conv['id']}/assign", json={"agent": other}).status_code == 201
    assert gw.api(other, "POST", f"conversations/{conv['id']}/escalations", json={"reason": "refund"}).status_code == 201
    assert gw.api("marta", "POST", f"conversations/{conv['id']}/escalation/close", json={"note": "ok"}).status_code == 201
    assert gw.api("ana", "PUT", "me/status", json={"status": "away"}).status_code == 200
    assert gw.api("marta", "GET", "reports/conversations.csv").status_code == 200
    return conv


def check_recorded(gw, conv):
    entries = audit(gw)
    actions = [e["action"] for e in entries]
    started = [e for e in entries if e["action"] == "gateway_started"]
    assert started and len(started[0]["details"]["config_sha256"]) == 64
    assert started[0]["details"]["config_sha256"] == hashlib.sha256(gw.config_path.read_bytes()).hexdigest()
    assert any(e["action"] == "password_changed" and e["actor"] == "operator" and e["subject"] == "agent:ana" for e in entries)
    failed = [e for e in entries if e["action"] == "sign_in_failed"]
    assert len(failed) == 2 and all(e["source"] == "127.0.0.1" for e in failed)
    assert {e.get("subject") for e in failed} == {"agent:ana", None}
    assert "nobody-here" not in json.dumps(entries), "an id that is no agent's is not recorded (it may be a password)"
    signed = [e for e in entries if e["action"] == "sign_in"]
    assert signed[0]["actor"] == "ana" and signed[0]["details"]["method"] == "password" and signed[0]["source"] == "127.0.0.1"
    assert any(e["action"] == "sign_out" and e["actor"] == "ana" for e in entries)
    subject = f"conversation:{conv['id']}"
    assert any(e["action"] == "conversation_reassigned" and e["actor"] == "marta" and e["subject"] == subject for e in entries)
    assert any(e["action"] == "conversation_escalated" and e["subject"] == subject for e in entries)
    assert any(e["action"] == "escalation_closed" and e["actor"] == "marta" for e in entries)
    assert any(e["action"] == "agent_status_changed" and e["details"] == {"from": "available", "to": "away"} for e in entries)
    assert "report_exported" in actions
    # Newest first, every hash as an independent implementation computes it, each linked to the one before.
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs, reverse=True)
    for newer, older in zip(entries, entries[1:]):
        assert newer["prev_hash"] == older["hash"]
    assert all(chain_hash(e) == e["hash"] for e in entries)
    # Filters and pages.
    assert {e["action"] for e in audit(gw, action="sign_in_failed")} == {"sign_in_failed"}
    assert {e["actor"] for e in audit(gw, actor="marta")} == {"marta"}
    page = gw.api("marta", "GET", "audit?limit=2").json()
    assert len(page["entries"]) == 2 and page["next_before"] == page["entries"][-1]["seq"]
    following = gw.api("marta", "GET", f"audit?limit=2&before={page['next_before']}").json()
    assert following["entries"][0]["seq"] == page["entries"][-1]["seq"] - 1
    assert gw.api("ana", "GET", "audit").status_code == 403
    assert gw.api("marta", "GET", "audit?since=yesterday").status_code == 400
    return entries


def verify_export_and_tamper(gw, edit):
    """`audit verify` passes; export writes the chain; an edited row is named; resealing it moves the blame on."""
    r = cli(gw, "audit", "verify")
    assert r.returncode == 0, r.stderr
    assert "intact" in r.stdout
    out = gw.workdir / "audit.jsonl"
    r = cli(gw, "audit", "export", "--out", str(out))
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
    assert all(chain_hash(e) == e["hash"] for e in lines)
    assert lines[0]["prev_hash"] == "0" * 64
    gw.stop()
    edit("UPDATE audit_log SET source = '10.6.6.6' WHERE seq = 3")
    r = cli(gw, "audit", "verify")
    assert r.returncode == 65, (r.returncode, r.stdout, r.stderr)
    assert "entry 3" in r.stderr and "changed" in r.stderr
    # An attacker who also recomputes that row's hash breaks the link of the next entry instead.
    third = dict(lines[2], source="10.6.6.6")
    edit(f"UPDATE audit_log SET hash = '{chain_hash(third)}' WHERE seq = 3")
    r = cli(gw, "audit", "verify")
    assert r.returncode == 65 and "entry 4" in r.stderr, r.stderr
    # Export still writes everything, and says where it breaks.
    r = cli(gw, "audit", "export")
    assert r.returncode == 65 and len(r.stdout.splitlines()) == len(lines) and "entry 4" in r.stderr


def test_audit_trail_on_sqlite(gateway):
    gw = gateway()
    conv = exercise(gw)
    check_recorded(gw, conv)

    def edit(sql):
        with sqlite3.connect(gw.db_path) as db:
            db.execute(sql)
    verify_export_and_tamper(gw, edit)


def test_audit_trail_on_postgres(pg_gateway, postgres):
    gw = pg_gateway()
    conv = exercise(gw)
    check_recorded(gw, conv)
    verify_export_and_tamper(gw, lambda sql: psql(postgres, gw.database, sql))


def test_each_start_records_the_configuration_hash(gateway):
    gw = gateway()
    first = audit(gw, action="gateway_started")[0]["details"]["config_sha256"]
    gw.stop()
    gw.config["routing"]["first_response"] = "8h"
    import yaml
    gw.config_path.write_text(yaml.safe_dump(gw.config, sort_keys=False, allow_unicode=True))
    gw.start()
    starts = audit(gw, action="gateway_started")
    assert len(starts) == 2
    assert starts[0]["details"]["config_sha256"] != first
    assert cli(gw, "audit", "verify").returncode == 0


def test_verify_reports_an_empty_trail_and_a_bad_config(tmp_path):
    from conftest import BIN
    import subprocess
    config = tmp_path / "bad.yaml"
    config.write_text("storage: {sqlite: x}\nbogus: 1\n")
    r = subprocess.run([BIN, "audit", "verify", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 78, r.stderr
