#!/usr/bin/env python3
"""Slack as a Switchboard channel, written with the Python adapter SDK (an example of an external
adapter: docs/adapters.md).

In: the Slack Events API posts to the gateway's /hooks/{id}; the gateway forwards each request here.
This adapter checks the v0 signature and its 5-minute replay window, answers the `url_verification`
handshake, and hands customers' `message` events back to be stored before Slack gets its 200.
Messages from bots (our own replies included) and housekeeping subtypes are skipped.

Out: a reply is posted with chat.postMessage into the thread the customer wrote in.

Configuration (the gateway's adapter entry):

    - id: slack
      type: external
      command: ["python3", "adapters/slack.py"]
      env_from:                               # secrets come from the gateway's environment
        SLACK_SIGNING_SECRET: SLACK_SIGNING_SECRET
        SLACK_BOT_TOKEN: SLACK_BOT_TOKEN
      config:
        api_base: https://slack.com           # default; tests point it at a local server
        rate_per_second: "1"                  # chat.postMessage allows about one message a second per channel
        timeout: "10"                         # seconds per chat.postMessage call

SLACK_FAKE_NOW (epoch seconds) replaces the clock of the replay check: for tests with recorded payloads.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk", "python"))

from switchboard_adapter import (  # noqa: E402  (found through the path above)
    Adapter, PermanentFailure, Response, TransientFailure, inbound_message,
)

REPLAY_WINDOW = 300  # seconds: Slack's own recommendation
# Message subtypes that are a person writing; every other subtype (joins, edits, deletions, bot
# messages …) is housekeeping and not a new contact.
CUSTOMER_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message"}
# chat.postMessage errors worth retrying; any other error is the request's fault and final.
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
                    "team_added_to_org"}


def unescape(text: str) -> str:
    """Slack escapes exactly these three characters in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def attachment_of(f: dict) -> dict:
    mime = f.get("mimetype") or ""
    kind = mime.split("/", 1)[0] if mime.split("/", 1)[0] in ("image", "audio", "video") else "document"
    attachment = {"kind": kind, "mime_type": mime or None, "file_name": f.get("name"),
                  "size": f.get("size"), "url": f.get("url_private"), "platform_id": f.get("id")}
    return {k: v for k, v in attachment.items() if v not in (None, "")}


class SlackAdapter(Adapter):
    def on_start(self, config):
        self.signing_secret = os.environ.get("SLACK_SIGNING_SECRET", "")
        self.bot_token = os.environ.get("SLACK_BOT_TOKEN", "")
        if not self.signing_secret:
            # Without it every request would be refused anyway; fail loudly (the gateway shows it).
            raise SystemExit("slack adapter: SLACK_SIGNING_SECRET is not set (map it with env_from)")
        self.api_base = (config.get("api_base") or "https://slack.com").rstrip("/")
        self.timeout = float(config.get("timeout") or 10)
        fake_now = os.environ.get("SLACK_FAKE_NOW")
        self.clock = (lambda: float(fake_now)) if fake_now else time.time
        self.capabilities = {
            "reply_window": None,
            "max_text": int(config.get("max_text") or 40000),  # Slack truncates longer messages
            "rate_per_second": float(config.get("rate_per_second") or 1),
            "can_initiate": True,  # a user id as channel opens a direct message
        }

    # in --------------------------------------------------------------------------------------

    def verify(self, request) -> str | None:
        """Why the request is not from Slack, or None when it is."""
        timestamp = request.header("X-Slack-Request-Timestamp")
        signature = request.header("X-Slack-Signature")
        if not timestamp or not signature:
            return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
        try:
            sent = int(timestamp)
        except ValueError:
            return "X-Slack-Request-Timestamp is not a number"
        if abs(self.clock() - sent) > REPLAY_WINDOW:
            return "stale request: X-Slack-Request-Timestamp is more than 5 minutes off"
        base = b"v0:" + timestamp.encode() + b":" + request.body
        expected = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
            return "X-Slack-Signature does not match the body"
        return None

    def on_request(self, request):
        if request.method != "POST":
            return Response.error(405, "Slack posts its events")
        refusal = self.verify(request)
        if refusal:
            return Response.error(401, refusal)
        try:
            payload = request.json()
        except ValueError:
            return Response.error(400, "the body is not JSON (only the Events API is handled)")
        if not isinstance(payload, dict):
            return Response.error(400, "the body is not a JSON object")
        kind = payload.get("type")
        if kind == "url_verification":
            if not payload.get("challenge"):
                return Response.error(400, "url_verification without a challenge")
            return Response.json({"challenge": payload["challenge"]})
        if kind == "event_callback":
            message = self.message_of(payload)
            return Response.accepted([message] if message else [])
        # Other envelopes (app_rate_limited …) carry nothing to store; a 200 stops Slack's retries.
        return Response.accepted([])

    def message_of(self, payload: dict) -> dict | None:
        event = payload.get("event") or {}
        if event.get("type") != "message" or event.get("bot_id") or event.get("subtype") not in CUSTOMER_SUBTYPES:
            return None
        channel, ts, user = event.get("channel"), event.get("ts"), event.get("user")
        if not channel or not ts or not user:
            return None
        profile = event.get("user_profile") or {}
        return inbound_message(
            # The message's own identity: the same message reached through two subscriptions (or
            # Slack's retries) is stored once, and a reply can find its channel from it.
            id="%s:%s" % (channel, ts),
            sender=user,
            name=profile.get("real_name") or profile.get("display_name") or None,
            text=unescape(event.get("text") or ""),
            sent_at=ts,
            thread="%s:%s" % (channel, event.get("thread_ts") or ts),
            attachments=[attachment_of(f) for f in event.get("files") or []],
            metadata={"slack_team": payload.get("team_id"), "slack_channel": channel,
                      "slack_channel_type": event.get("channel_type"), "slack_event_id": payload.get("event_id")},
        )

    # out -------------------------------------------------------------------------------------

    def deliver(self, reply):
        # Back into the customer's thread; without one (a reply started elsewhere), a direct message.
        where = reply.thread or reply.in_reply_to
        if where and ":" in where:
            channel, thread_ts = where.split(":", 1)
        else:
            channel, thread_ts = reply.to, None
        body = {"channel": channel, "text": reply.text}
        if thread_ts:
            body["thread_ts"] = thread_ts
        answer = self.call("chat.postMessage", body)
        return "%s:%s" % (answer.get("channel") or channel, answer.get("ts"))

    def call(self, method: str, body: dict) -> dict:
        if not self.bot_token:
            raise PermanentFailure("SLACK_BOT_TOKEN is not set (map it with env_from)")
        request = urllib.request.Request(
            "%s/api/%s" % (self.api_base, method), data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": "Bearer " + self.bot_token})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            retry_after = error.headers.get("Retry-After")
            if error.code == 429 or error.code >= 500:
                raise TransientFailure("Slack answered HTTP %d" % error.code,
                                       retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None)
            raise PermanentFailure("Slack answered HTTP %d" % error.code)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise TransientFailure("Slack could not be reached: %s" % error)
        if not answer.get("ok"):
            code = answer.get("error") or "unknown_error"
            if code in TRANSIENT_ERRORS:
                raise TransientFailure("Slack: " + code)
            raise PermanentFailure("Slack: " + code)
        return answer


if __name__ == "__main__":
    SlackAdapter().run()
