#!/usr/bin/env python3
"""A loopback OAuth2 provider for tests: token endpoint and token introspection (RFC 7662).

    provider = OAuth2Provider(lifetime=3600, rotate=True).start()
    refresh = provider.issue_refresh_token()       # as a person's consent would
    provider.token_url, provider.introspection_url
    ...
    provider.stop()

- `POST /token` (form-encoded, RFC 6749): `grant_type=refresh_token` (with `refresh_token`) or
  `client_credentials`, always with `client_id` and `client_secret`. Answers with a new access token
  valid for `lifetime` seconds and, with `rotate`, a new refresh token (the old one is refused from
  then on, as providers that rotate do). Refusals are JSON `{"error", "error_description"}` as
  Google and Microsoft send them: `invalid_grant` (unknown, revoked or rotated-away refresh token),
  `invalid_client`, or whatever `fail_with(...)` sets.
- `POST /introspect` (form `token=...`, what Dovecot's oauth2 passdb sends with
  `introspection_mode = post`, and what the SMTP sink asks): `{"active": true, "username": ...}` for
  an access token issued here and not expired or revoked, else `{"active": false}`.

Every grant and introspection is recorded (`grants`, `introspections`) for the test to check. It
runs in a thread of the test process; `stop()` shuts it down.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

INVALID_GRANT = ("invalid_grant", "Token has been expired or revoked.")


@dataclass
class Grant:
    grant_type: str
    refresh_token: str | None  # the one presented
    scope: str | None
    error: str | None          # None when granted
    issued_refresh_token: str | None = None
    at: float = field(default_factory=time.monotonic)


class OAuth2Provider:
    def __init__(self, user: str = "support@example.com", client_id: str = "switchboard",
                 client_secret: str = "client-secret", lifetime: float = 3600, rotate: bool = False,
                 client_credentials: bool = False):
        self.user = user
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = lifetime
        self.rotate = rotate
        self.client_credentials = client_credentials
        self.lock = threading.Lock()
        self.refresh_tokens: dict[str, bool] = {}        # token -> still valid
        self.access_tokens: dict[str, float] = {}        # token -> expiry (monotonic)
        self.grants: list[Grant] = []
        self.introspections: list[tuple[str, bool]] = []  # (access token, active)
        self._failure: tuple[int, str, str] | None = None
        self._server: ThreadingHTTPServer | None = None

    # -- what a test does ---------------------------------------------------------------------

    def issue_refresh_token(self) -> str:
        """A new refresh token, as after a person's consent."""
        token = "1//rt-" + secrets.token_urlsafe(24)
        with self.lock:
            self.refresh_tokens[token] = True
        return token

    def revoke_refresh_tokens(self) -> None:
        """The user (or an admin) revoked the app's access: every refresh token is refused."""
        with self.lock:
            for token in self.refresh_tokens:
                self.refresh_tokens[token] = False

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far stops working (a server-side revocation)."""
        with self.lock:
            for token in self.access_tokens:
                self.access_tokens[token] = 0.0

    def fail_with(self, status: int, error: str, description: str) -> None:
        """Every grant is refused so until `heal()`."""
        with self.lock:
            self._failure = (status, error, description)

    def heal(self) -> None:
        with self.lock:
            self._failure = None

    def refresh_token_valid(self, token: str) -> bool:
        with self.lock:
            return self.refresh_tokens.get(token, False)

    def successful_grants(self) -> list[Grant]:
        with self.lock:
            return [g for g in self.grants if g.error is None]

    def refused_introspections(self) -> int:
        with self.lock:
            return sum(1 for _, active in self.introspections if not active)

    def latest_refresh_token(self) -> str | None:
        """The newest refresh token handed out by a grant (the one a rotating client must use now)."""
        with self.lock:
            issued = [g.issued_refresh_token for g in self.grants if g.issued_refresh_token]
            return issued[-1] if issued else None

    def post(self, path: str, form: dict) -> tuple[int, dict]:
        """Asks this provider directly, as another client would."""
        import urllib.error
        import urllib.parse
        import urllib.request
        data = urllib.parse.urlencode(form).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(self.base + path, data=data), timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        return self.base + "/token"

    @property
    def introspection_url(self) -> str:
        return self.base + "/introspect"

    def start(self) -> "OAuth2Provider":
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
                if self.path == "/token":
                    status, body = provider._token(form)
                elif self.path == "/introspect":
                    status, body = provider._introspect(form)
                else:
                    status, body = 404, {"error": "not_found"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- the endpoints ---------------------------------------------------------------------------

    def _token(self, form: dict) -> tuple[int, dict]:
        grant_type = form.get("grant_type", "")
        presented = form.get("refresh_token")
        with self.lock:
            def refuse(status: int, error: str, description: str) -> tuple[int, dict]:
                self.grants.append(Grant(grant_type, presented, form.get("scope"), error))
                return status, {"error": error, "error_description": description}

            if self._failure:
                return refuse(*self._failure)
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return refuse(401, "invalid_client", "The OAuth client was not found.")
            if grant_type == "refresh_token":
                if not presented or not self.refresh_tokens.get(presented):
                    return refuse(400, *INVALID_GRANT)
            elif grant_type == "client_credentials":
                if not self.client_credentials:
                    return refuse(400, "unauthorized_client", "The client is not allowed to use this grant type.")
            else:
                return refuse(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
            access = "ya29.at-" + secrets.token_urlsafe(24)
            self.access_tokens[access] = time.monotonic() + self.lifetime
            body = {"access_token": access, "token_type": "Bearer", "expires_in": int(self.lifetime)}
            if form.get("scope"):
                body["scope"] = form["scope"]
            issued = None
            if grant_type == "refresh_token" and self.rotate:
                self.refresh_tokens[presented] = False
                issued = "1//rt-" + secrets.token_urlsafe(24)
                self.refresh_tokens[issued] = True
                body["refresh_token"] = issued
            self.grants.append(Grant(grant_type, presented, form.get("scope"), None, issued))
            return 200, body

    def _introspect(self, form: dict) -> tuple[int, dict]:
        token = form.get("token", "")
        with self.lock:
            active = self.access_tokens.get(token, 0.0) > time.monotonic()
            self.introspections.append((token, active))
        return 200, ({"active": True, "username": self.user, "token_type": "Bearer"} if active else {"active": False})
