#!/usr/bin/env python3
"""A small OpenID Connect provider on loopback, for tests of single sign-on.

It serves what a real provider serves for the authorization code flow with PKCE:
`/.well-known/openid-configuration`, `/jwks` (an RSA key made at start, never reused), `/authorize`
(a sign-in form: whoever submits an e-mail address is that user), and `/token` (checks the client's
secret, the code, its redirect URI and the PKCE verifier; answers an RS256-signed ID token with
`iss`, `sub`, `aud`, `exp`, `iat`, `nonce`, `email`, `email_verified`).

For negative tests, `POST /admin/misbehave` with a JSON object makes the next ID tokens wrong on
purpose: `{"audience": "x"}`, `{"issuer": "x"}`, `{"expired": true}`, `{"nonce": "x"}`,
`{"foreign_key": true}` (signed with a key the JWKS does not hold), `{"alg_none": true}`,
`{"email_verified": false}`; `{}` heals it. `GET /admin/log` lists the token requests it received.

Run as a script, it prints one JSON line (`{"issuer", "port", "client_id", "client_secret"}`) and
serves until stdin closes; importing it gives `OIDCProvider`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class OIDCProvider:
    def __init__(self, client_id: str = "switchboard", client_secret: str | None = None):
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.codes: dict[str, dict] = {}
        self.misbehave: dict = {}
        self.token_requests: list[dict] = []
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                provider._get(self)

            def do_POST(self):
                provider._post(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.issuer = f"http://127.0.0.1:{self.port}"

    # lifecycle -----------------------------------------------------------------------------------

    def start(self) -> "OIDCProvider":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # HTTP ------------------------------------------------------------------------------------------

    @staticmethod
    def _send(handler, status: int, body: bytes = b"", content_type: str = "application/json", headers: dict | None = None):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(body)

    def _json(self, handler, status: int, value):
        self._send(handler, status, json.dumps(value).encode())

    def _get(self, h):
        url = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/.well-known/openid-configuration":
            return self._json(h, 200, {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            })
        if url.path == "/jwks":
            numbers = self.key.public_key().public_numbers()
            return self._json(h, 200, {"keys": [{
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                "n": int_b64url(numbers.n), "e": int_b64url(numbers.e)}]})
        if url.path == "/authorize":
            problems = []
            if query.get("response_type") != "code":
                problems.append("response_type must be code")
            if query.get("client_id") != self.client_id:
                problems.append("unknown client_id")
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                problems.append("PKCE (S256) is required")
            if "openid" not in query.get("scope", "").split():
                problems.append("scope must include openid")
            if not query.get("state") or not query.get("nonce") or not query.get("redirect_uri"):
                problems.append("state, nonce and redirect_uri are required")
            if problems:
                return self._send(h, 400, "; ".join(problems).encode(), "text/plain")
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in query.items())
            page = (f"<!doctype html><title>Test provider</title><h1>Test provider</h1>"
                    f'<form method="post" action="/authorize">{hidden}'
                    f'<label for="email">E-mail</label><input id="email" name="email" type="email">'
                    f'<button id="approve" type="submit">Sign in</button></form>').encode()
            return self._send(h, 200, page, "text/html; charset=utf-8")
        if url.path == "/admin/log":
            with self.lock:
                return self._json(h, 200, self.token_requests)
        self._send(h, 404, b"not found", "text/plain")

    def _post(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length).decode()
        url = urllib.parse.urlsplit(h.path)
        if url.path == "/authorize":
            form = dict(urllib.parse.parse_qsl(body))
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.codes[code] = {**form, "issued": time.time()}
            location = form["redirect_uri"] + ("&" if "?" in form["redirect_uri"] else "?") + urllib.parse.urlencode(
                {"code": code, "state": form["state"]})
            return self._send(h, 302, b"", "text/plain", {"Location": location})
        if url.path == "/token":
            return self._token(h, dict(urllib.parse.parse_qsl(body)))
        if url.path == "/admin/misbehave":
            with self.lock:
                self.misbehave = json.loads(body or "{}")
            return self._json(h, 200, self.misbehave)
        self._send(h, 404, b"not found", "text/plain")

    def _token(self, h, form: dict):
        auth = h.headers.get("Authorization", "")
        client_id, secret = None, None
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            client_id, secret = urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        with self.lock:
            self.token_requests.append({"form": {k: v for k, v in form.items() if k != "code"}, "basic_auth": auth.startswith("Basic ")})
            grant = self.codes.pop(form.get("code", ""), None)
            misbehave = dict(self.misbehave)
        if client_id != self.client_id or secret != self.client_secret:
            return self._json(h, 401, {"error": "invalid_client"})
        if form.get("grant_type") != "authorization_code" or grant is None or time.time() - grant["issued"] > 60:
            return self._json(h, 400, {"error": "invalid_grant"})
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json(h, 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"})
        challenge = b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if challenge != grant["code_challenge"]:
            return self._json(h, 400, {"error": "invalid_grant", "error_description": "PKCE verifier does not match"})
        now = int(time.time())
        email = grant.get("email", "")
        claims = {
            "iss": misbehave.get("issuer", self.issuer),
            "sub": hashlib.sha256(email.encode()).hexdigest()[:20],
            "aud": misbehave.get("audience", self.client_id),
            "exp": now - 3600 if misbehave.get("expired") else now + 300,
            "iat": now - 3700 if misbehave.get("expired") else now,
            "nonce": misbehave.get("nonce", grant["nonce"]),
            "email": email,
            "email_verified": misbehave.get("email_verified", True),
        }
        token = self.id_token(claims, foreign=misbehave.get("foreign_key", False), none=misbehave.get("alg_none", False))
        return self._json(h, 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                                   "id_token": token})

    def id_token(self, claims: dict, foreign: bool = False, none: bool = False) -> str:
        header = {"alg": "none" if none else "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        if none:
            return signing_input + "."
        key = self.other_key if foreign else self.key
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)


def main() -> int:
    provider = OIDCProvider().start()
    print(json.dumps({"issuer": provider.issuer, "port": provider.port, "client_id": provider.client_id,
                      "client_secret": provider.client_secret}), flush=True)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    provider.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
