"""Storage failure: when the database cannot commit (here: its disk is full), a channel gets 503 so
it retries later, and nothing is half-stored: what got a 2xx is there, what got 503 is not."""

import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import message, unique


@pytest.fixture
def tiny_disk():
    path = Path(tempfile.mkdtemp(prefix="sb-full-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    yield path
    subprocess.run(["umount", "-l", str(path)], capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


def test_full_disk_answers_503_and_stores_nothing_half(gateway, tiny_disk):
    db = tiny_disk / "switchboard.sqlite"
    gw = gateway({"storage": {"sqlite": str(db)}})
    run = unique("full")
    accepted, refused = [], []
    for i in range(120):
        ext = f"{run}-{i}"
        r = gw.post_hook(payload=message(ext, f"{run}-c{i % 5}@example.com", "x" * 40_000))
        if r.status_code == 200:
            accepted.append(ext)
        else:
            assert r.status_code == 503, (r.status_code, r.text)
            assert r.json()["error"]["code"] == "storage_unavailable"
            refused.append(ext)
    assert accepted, "nothing was stored before the disk filled up"
    assert refused, "the disk never filled up"
    # The gateway is still up and answers health checks.
    assert gw.session.get(gw.url + "/healthz", timeout=5).status_code == 200

    gw.stop()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        stored = {row[0] for row in con.execute("SELECT external_id FROM messages WHERE direction = 'inbound'")}
    finally:
        con.close()
    assert set(accepted) <= stored, "an acknowledged message is missing"
    assert not (set(refused) & stored), "a message answered 503 was stored anyway"
