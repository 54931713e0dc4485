"""`switchboard check-config`: every problem as PATH:LINE: message, exit 1; a good file exits 0."""

import os
import re
import subprocess

import yaml

from conftest import BIN, base_config

BROKEN = """\
# a broken configuration
server:
  host: 127.0.0.1
  port: 8080
  colour: blue
storage:
  sqlite: {db}
delivery:
  first_retry: soon
  max_attempts: 3
agents:
  - {{ id: ana, name: "Ana", role: agent, teams: [support], token_env: SB_E2E_SURELY_UNSET_TOKEN }}
adapters:
  - type: carrier-pigeon
    id: pigeons
    team: support
"""
#  line 5: unknown key, line 9: bad duration, line 12: missing env var, line 14: unknown adapter type
EXPECTED = {5: ["colour"], 9: ["first_retry", "soon"], 12: ["SB_E2E_SURELY_UNSET_TOKEN"], 14: ["carrier-pigeon"]}


def run(args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SB_E2E_")}
    e.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, env=e)


def test_broken_config_reports_each_problem_with_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN.format(db=tmp_path / "x.sqlite"))
    result = run(["check-config", "--config", str(path)])
    assert result.returncode == 1, result
    out = result.stdout + result.stderr
    problems = {}
    for line in out.splitlines():
        m = re.match(rf"^{re.escape(str(path))}:(\d+): (.+)$", line)
        assert m, f"not PATH:LINE: message: {line!r}"
        problems.setdefault(int(m.group(1)), []).append(m.group(2))
    assert sorted(problems) == sorted(EXPECTED), out
    for line, words in EXPECTED.items():
        text = " ".join(problems[line])
        for word in words:
            assert word in text, (line, word, text)
    assert not path.with_suffix(".sqlite").exists()


def test_serve_refuses_a_broken_config(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN.format(db=tmp_path / "x.sqlite"))
    result = run(["serve", "--config", str(path), "--port", "0"])
    assert result.returncode != 0
    assert "switchboard listening" not in result.stdout
    assert f"{path}:5:" in result.stderr, result.stderr


def test_good_config_is_ok(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(base_config(tmp_path, "http://127.0.0.1:9/send"), sort_keys=False))
    env = {"SB_TOKEN_ANA": "token-ana-0123456789abcdef0123456789", "SB_TOKEN_LUIS": "token-luis-0123456789abcdef0123456789", "SB_TOKEN_MARTA": "token-marta-0123456789abcdef0123456789",
           "SHOP_CHAT_SECRET": "s3cret"}
    result = run(["check-config", "--config", str(path)], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().startswith(f"{path}: OK"), result.stdout
    # The shipped example is valid too, given its environment variables.
    repo_example = os.path.join(os.path.dirname(__file__), "..", "Config", "switchboard.yaml")
    result = run(["check-config", "--config", repo_example], env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_env_of_adapter_is_reported(tmp_path):
    config = base_config(tmp_path, "http://127.0.0.1:9/send")
    path = tmp_path / "nosecret.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    text = path.read_text().splitlines()
    secret_line = next(i + 1 for i, l in enumerate(text) if re.match(r"^\s*(- )?secret_env:", l))
    env = {"SB_TOKEN_ANA": "token-ana-0123456789abcdef0123456789", "SB_TOKEN_LUIS": "token-luis-0123456789abcdef0123456789", "SB_TOKEN_MARTA": "token-marta-0123456789abcdef0123456789"}
    e = {k: v for k, v in os.environ.items() if k != "SHOP_CHAT_SECRET"}
    e.update(env)
    result = subprocess.run([BIN, "check-config", "--config", str(path)], capture_output=True, text=True, timeout=60, env=e)
    assert result.returncode == 1
    assert f"{path}:{secret_line}: " in result.stdout and "SHOP_CHAT_SECRET" in result.stdout, result.stdout


SERVER_LIMITS = """\
server:
  host: 127.0.0.1
  header_timeout: 0s
  body_timeout: 5m
  idle_timeout: 90s
  max_connections: 0
  trusted_proxies: [10.0.0.1, not-an-address]
storage:
  sqlite: {db}
agents:
  - {{ id: ana, name: "Ana", role: agent, teams: [support], token_env: SB_E2E_SHORT_TOKEN }}
adapters:
  - {{ id: shop-chat, type: webhook, team: support, open: true, outbound: {{ url: "http://127.0.0.1:9/send" }} }}
"""


def test_check_config_validates_connection_limits_and_token_length_with_lines(tmp_path):
    """Timeouts cannot be switched off, the cap must be positive, proxies are addresses, and an
    8-character API token (guessable over the network) is refused with the line naming it."""
    path = tmp_path / "limits.yaml"
    path.write_text(SERVER_LIMITS.format(db=tmp_path / "x.sqlite"))
    result = run(["check-config", "--config", str(path)], {"SB_E2E_SHORT_TOKEN": "ana-1234"})
    assert result.returncode == 1, result
    problems = {}
    for line in (result.stdout + result.stderr).splitlines():
        m = re.match(rf"^{re.escape(str(path))}:(\d+): (.+)$", line)
        assert m, f"not PATH:LINE: message: {line!r}"
        problems.setdefault(int(m.group(1)), []).append(m.group(2))
    assert sorted(problems) == [3, 6, 7, 11], problems
    assert "header_timeout" in problems[3][0] and "between 1s" in problems[3][0]
    assert "max_connections" in problems[6][0]
    assert "not-an-address" in problems[7][0]
    assert "8 characters" in problems[11][0] and "at least 32" in problems[11][0]

    # Within range and with a long token, the same keys are accepted.
    path.write_text(SERVER_LIMITS.format(db=tmp_path / "x.sqlite").replace("0s", "5s")
                    .replace("max_connections: 0", "max_connections: 100").replace(", not-an-address", ""))
    result = run(["check-config", "--config", str(path)], {"SB_E2E_SHORT_TOKEN": "a" * 32})
    assert result.returncode == 0, result.stdout + result.stderr
