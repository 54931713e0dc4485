"""Switchboard adapter SDK for Python: write a channel adapter that runs as its own process.

One file, standard library only (Python 3.8+). Copy it next to your adapter or put this directory
on PYTHONPATH. The gateway starts your program (``type: external`` in its config) and talks to it
over stdin/stdout, one JSON object per line; this module hides that protocol
(docs/adapter-protocol.schema.json, docs/adapters.md).

Subclass :class:`Adapter` and override what your channel needs::

    class MyChannel(Adapter):
        def on_start(self, config):              # the adapter's `config:` mapping (values are strings)
            self.capabilities = {"max_text": 4000}
        def on_request(self, request):           # a POST/GET to /hooks/{id}
            ...verify request.headers / request.body...
            return Response.accepted([inbound_message(id=..., sender=..., text=...)])
        def deliver(self, reply):                # an agent's reply; return the platform's id
            ...or raise TransientFailure / PermanentFailure...
            return "platform-message-id"

    if __name__ == "__main__":
        MyChannel().run()

Guarantees:

* Messages returned in a 2xx :class:`Response` are stored by the gateway before the platform gets
  its answer: the platform's own retries cover every failure.
* Messages you push with :meth:`Adapter.send_inbound` (polling a source, a socket) are kept until the
  gateway acknowledges them (:meth:`Adapter.on_ack`) and re-sent when the process starts again;
  give ``buffer_path`` to keep them on disk across crashes. The gateway stores each id once.
* ``deliver`` runs on a thread pool, so slow platforms do not hold up inbound traffic; writes to
  the gateway are serialized, so any thread may call ``send_inbound``, ``send_status`` and ``log``.
* ``print()`` goes to stderr (the gateway's log): stdout belongs to the protocol.
"""

from __future__ import annotations

import base64
import collections
import datetime as _dt
import json
import logging
import os
import signal
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "Adapter", "Request", "Response", "Reply", "TransientFailure", "PermanentFailure",
    "inbound_message", "status_report", "iso8601", "PROTOCOL_VERSION",
]

#: The protocol version this SDK speaks (the gateway sends its own in ``start``).
PROTOCOL_VERSION = 1


# ---------------------------------------------------------------------------------------------
# delivery outcomes


class TransientFailure(Exception):
    """The reply could not go out now; the gateway retries it with backoff (after ``retry_after``
    seconds, if given)."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The reply can never go out (unknown recipient, rejected content); the agent sees the reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# messages


def iso8601(value) -> str | None:
    """A timestamp as ISO 8601 UTC with milliseconds: from epoch seconds (int, float or numeric
    string), a ``datetime`` (naive means UTC) or an ISO 8601 string (returned as is)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, (int, float)):
        if value > 1e11:  # epoch milliseconds
            value = value / 1000.0
        value = _dt.datetime.fromtimestamp(value, tz=_dt.timezone.utc)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    value = value.astimezone(_dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)


def inbound_message(id, sender, text: str = "", name: str | None = None, sent_at=None,
                    attachments: list | None = None, thread: str | None = None,
                    metadata: dict | None = None) -> dict:
    """One customer message, as the gateway stores it.

    ``id`` is the platform's message id (the gateway stores each once); ``sender`` the customer's
    address on the channel; ``thread`` where a reply must go back to (it comes back in
    ``Reply.thread``); ``attachments`` a list of dicts with ``kind`` (image, audio, video, document,
    location …) and optionally ``mime_type``, ``file_name``, ``size``, ``url``, ``platform_id``,
    ``details``, and ``content_base64`` (the file itself, stored with the message; without it an
    http(s) ``url`` is fetched by the gateway after the message is stored); ``metadata`` string facts worth showing to agents."""
    if id is None or str(id).strip() == "":
        raise ValueError("an inbound message needs an id")
    if sender is None or str(sender).strip() == "":
        raise ValueError("an inbound message needs a sender")
    message = {"id": str(id), "from": str(sender), "text": text or ""}
    if name:
        message["name"] = name
    if sent_at is not None:
        message["sent_at"] = iso8601(sent_at)
    if attachments:
        for a in attachments:
            if not a.get("kind"):
                raise ValueError("every attachment needs a kind")
        message["attachments"] = list(attachments)
    if thread:
        message["thread"] = thread
    if metadata:
        message["metadata"] = {str(k): str(v) for k, v in metadata.items() if v is not None}
    return message


def status_report(external_id, state: str, error: str | None = None) -> dict:
    """The platform's word on a reply sent earlier (matched by the id ``deliver`` returned):
    ``sent``, ``delivered``, ``read`` or ``failed``."""
    if state not in ("sent", "delivered", "read", "failed"):
        raise ValueError("state must be sent, delivered, read or failed")
    report = {"type": "status", "external_id": str(external_id), "state": state}
    if error:
        report["error"] = error
    return report


class Reply:
    """An agent's reply to deliver (the gateway's ``deliver`` message)."""

    def __init__(self, message: dict):
        self.id: int = message["id"]                         # stable across retries: an idempotency key
        self.conversation: int = message.get("conversation")
        self.to: str = message.get("to")                     # the customer's address on this channel
        self.text: str = message.get("text", "")
        self.in_reply_to: str | None = message.get("in_reply_to")  # the platform id of the message answered
        self.thread: str | None = message.get("thread")      # the ``thread`` of the customer's message
        self.attempt: int = message.get("attempt", 0)        # earlier attempts of this reply
        self.raw = message

    def __repr__(self):
        return "Reply(id=%r, to=%r, thread=%r)" % (self.id, self.to, self.thread)


class Request:
    """A request made to ``/hooks/{adapter}``, forwarded by the gateway: check its signature over
    ``body`` (the exact bytes) and decode it."""

    def __init__(self, message: dict):
        self.id = message["id"]
        self.method: str = message.get("method", "POST")
        self.path: str = message.get("path", "")
        self.query: dict = message.get("query") or {}
        self.raw_query: str | None = message.get("raw_query")
        self.headers: dict = {k.lower(): v for k, v in (message.get("headers") or {}).items()}
        self.body: bytes = base64.b64decode(message.get("body_base64") or "")

    def header(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)


class Response:
    """What the gateway answers the platform.

    A 2xx with ``inbound`` (a list, possibly empty) makes the gateway store those messages (and
    status reports) first and answer with its own JSON. 400/401/403/405 become the gateway's JSON
    errors with ``body`` as the reason. Anything else is answered as given (handshakes)."""

    def __init__(self, status: int = 200, body=b"", content_type: str | None = None, inbound: list | None = None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.inbound = inbound

    @classmethod
    def accepted(cls, inbound: list | None = None) -> "Response":
        """2xx once ``inbound`` (dicts from :func:`inbound_message` / :func:`status_report`) is stored."""
        return cls(200, inbound=list(inbound or []))

    @classmethod
    def json(cls, value, status: int = 200) -> "Response":
        return cls(status, body=value, content_type="application/json")

    @classmethod
    def text(cls, text: str, status: int = 200) -> "Response":
        return cls(status, body=text, content_type="text/plain; charset=utf-8")

    @classmethod
    def error(cls, status: int, reason: str) -> "Response":
        return cls(status, body=reason, content_type="text/plain; charset=utf-8")

    def to_message(self, request_id) -> dict:
        message = {"type": "response", "id": request_id, "status": int(self.status)}
        if self.content_type:
            message["content_type"] = self.content_type
        body = self.body
        if isinstance(body, (bytes, bytearray)):
            try:
                if body:
                    message["body"] = bytes(body).decode("utf-8")
            except UnicodeDecodeError:
                message["body_base64"] = base64.b64encode(bytes(body)).decode("ascii")
        elif body is not None:
            message["body"] = body  # a string, or a JSON value sent as JSON
        if self.inbound is not None:
            message["inbound"] = [dict(item, type=item.get("type", "inbound")) for item in self.inbound]
        return message


# ---------------------------------------------------------------------------------------------
# the unacknowledged buffer


class _UnackedBuffer:
    """Inbound messages sent but not yet acknowledged, in order; optionally journaled to a file
    (an append-only log of adds and acks, compacted now and then) so they survive a crash."""

    def __init__(self, path: str | None, fsync: bool = True):
        self.path = path
        self.fsync = fsync
        self.lock = threading.Lock()
        self.items: "collections.OrderedDict[str, dict]" = collections.OrderedDict()
        self.journal = None
        self.acks_since_compaction = 0
        if path:
            self._load()

    def _load(self):
        try:
            with open(self.path, "rb") as f:
                for raw in f:
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        continue  # a line torn by a crash: it was never acknowledged anyway
                    if "add" in entry:
                        self.items[entry["add"]["id"]] = entry["add"]
                    elif "ack" in entry:
                        self.items.pop(entry["ack"], None)
        except FileNotFoundError:
            pass
        self._compact()

    def _compact(self):
        temporary = self.path + ".tmp"
        with open(temporary, "wb") as f:
            for message in self.items.values():
                f.write(json.dumps({"add": message}, ensure_ascii=False).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)
        if self.journal:
            self.journal.close()
        self.journal = open(self.path, "ab")
        self.acks_since_compaction = 0

    def add(self, message: dict):
        with self.lock:
            self.items[message["id"]] = message
            if self.journal:
                self.journal.write(json.dumps({"add": message}, ensure_ascii=False).encode() + b"\n")
                self.journal.flush()
                if self.fsync:
                    os.fsync(self.journal.fileno())

    def ack(self, external_id: str) -> bool:
        with self.lock:
            known = self.items.pop(external_id, None) is not None
            if known and self.journal:
                # Not synced: an ack lost in a crash only means one more duplicate, which the gateway drops.
                self.journal.write(json.dumps({"ack": external_id}).encode() + b"\n")
                self.journal.flush()
                self.acks_since_compaction += 1
                if self.acks_since_compaction > 1000 and self.acks_since_compaction > len(self.items):
                    self._compact()
            return known

    def pending(self) -> list:
        with self.lock:
            return list(self.items.values())


# ---------------------------------------------------------------------------------------------
# the adapter


class Adapter:
    """Base class of an external adapter. Override the hooks; call :meth:`run`."""

    #: What the core enforces for this channel, sent in ``hello`` after :meth:`on_start`:
    #: ``reply_window`` (e.g. "24h", or None), ``max_text`` (characters), ``rate_per_second``,
    #: and optionally ``rate_per_recipient_per_second``, ``can_initiate``, ``max_attachment_bytes``.
    capabilities: dict = {"reply_window": None, "max_text": None, "rate_per_second": None}

    #: Deliveries and hook requests handled at the same time.
    workers: int = 8

    def __init__(self, buffer_path: str | None = None, fsync: bool = True, stdin=None, stdout=None):
        """``buffer_path``: a file keeping un-acknowledged pushed messages across crashes (default: in
        memory only). ``stdin``/``stdout``: binary streams, for tests (default: the process's)."""
        self.adapter_id: str | None = None
        self.config: dict = {}
        self.stopping = threading.Event()  # set when the gateway asks the process to finish
        self._buffer = _UnackedBuffer(buffer_path, fsync=fsync)
        self._in = stdin
        self._out = stdout
        self._write_lock = threading.Lock()
        self._started = threading.Event()

    # hooks -----------------------------------------------------------------------------------

    def on_start(self, config: dict) -> None:
        """Called once with the adapter's ``config`` mapping before anything else. Read secrets from
        ``os.environ`` (the gateway passes them through ``env_from``); set ``self.capabilities``;
        start background threads (watch ``self.stopping``). Raising ends the process (and the
        gateway restarts it with backoff)."""

    def on_request(self, request: Request) -> Response:
        """A request to ``/hooks/{id}``. Return a :class:`Response`."""
        return Response.error(404, "this adapter takes no requests")

    def deliver(self, reply: Reply) -> str | None:
        """Send one reply; return the platform's id for it (or None). Raise
        :class:`TransientFailure` to have it retried, :class:`PermanentFailure` to fail it."""
        raise PermanentFailure("this adapter cannot send replies")

    def on_ack(self, external_id: str) -> None:
        """The gateway has durably stored the pushed message ``external_id`` (or already had it):
        the place to advance a cursor at the source. Runs on the reading thread: keep it short."""

    def on_stop(self) -> None:
        """Called when the gateway closes stdin, after in-flight deliveries have finished."""

    # what the adapter can call ----------------------------------------------------------------

    def send_inbound(self, id, sender, text: str = "", **fields) -> dict:
        """Pushes one customer message (fields as :func:`inbound_message`). It is kept, and re-sent
        after a restart, until the gateway acknowledges it."""
        message = inbound_message(id, sender, text, **fields)
        self._buffer.add(message)
        if self._started.is_set():
            self._send(dict(message, type="inbound"))
        # Before `start`, it goes out with the re-sent backlog right after `hello`.
        return message

    def send_status(self, external_id, state: str, error: str | None = None) -> None:
        """Pushes a delivery report about a reply sent earlier."""
        self._send(status_report(external_id, state, error))

    def log(self, level: str, message: str) -> None:
        """A line in the gateway's log, with this adapter's id: trace, debug, info, notice,
        warning, error or critical. Never log secrets or, at info, message bodies."""
        self._send({"type": "log", "level": level, "message": str(message)})

    def logging_handler(self, level=logging.INFO) -> logging.Handler:
        """A ``logging`` handler that sends records to the gateway's log."""
        adapter = self

        class _GatewayHandler(logging.Handler):
            def emit(self, record):
                try:
                    adapter.log(record.levelname.lower(), self.format(record))
                except Exception:  # logging must never take the adapter down
                    pass

        handler = _GatewayHandler(level)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        return handler

    def unacked(self) -> list:
        """Pushed messages the gateway has not acknowledged yet."""
        return self._buffer.pending()

    # the protocol -----------------------------------------------------------------------------

    def run(self) -> None:
        """Speaks the protocol until the gateway closes stdin (or sends SIGTERM)."""
        if self._in is None:
            self._in = sys.stdin.buffer
        if self._out is None:
            self._out = sys.stdout.buffer
            sys.stdout = sys.stderr  # a stray print() must not corrupt the protocol
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="switchboard-adapter")
        try:
            for raw in self._in:
                if not raw.strip():
                    continue
                try:
                    message = json.loads(raw)
                except ValueError:
                    self._stderr("switchboard_adapter: ignored a line that is not JSON")
                    continue
                kind = message.get("type")
                if kind == "start":
                    self._start(message)
                elif kind == "deliver":
                    pool.submit(self._deliver, message)
                elif kind == "request":
                    pool.submit(self._request, message)
                elif kind == "ack":
                    self._buffer.ack(str(message.get("id")))
                    self.on_ack(str(message.get("id")))
                # Unknown types come from a newer gateway: ignored.
        finally:
            self.stopping.set()
            pool.shutdown(wait=True)
            self.on_stop()

    def _start(self, message: dict):
        self.adapter_id = message.get("adapter")
        self.config = message.get("config") or {}
        self.on_start(self.config)
        self._send({"type": "hello", "capabilities": dict(self.capabilities), "protocol": PROTOCOL_VERSION})
        self._started.set()
        # At least once: whatever was not acknowledged before the restart goes out again.
        for pending in self._buffer.pending():
            self._send(dict(pending, type="inbound"))

    def _deliver(self, message: dict):
        reply = Reply(message)
        try:
            external_id = self.deliver(reply)
            answer = {"type": "delivered", "id": reply.id, "external_id": None if external_id is None else str(external_id)}
        except PermanentFailure as failure:
            answer = {"type": "failed", "id": reply.id, "permanent": True, "reason": failure.reason}
        except TransientFailure as failure:
            answer = {"type": "failed", "id": reply.id, "permanent": False, "reason": failure.reason}
            if failure.retry_after is not None:
                answer["retry_after"] = failure.retry_after
        except Exception as error:  # a bug in the adapter: retried, and the traceback logged
            self._stderr(traceback.format_exc())
            answer = {"type": "failed", "id": reply.id, "permanent": False, "reason": "%s: %s" % (type(error).__name__, error)}
        self._send(answer)

    def _request(self, message: dict):
        try:
            response = self.on_request(Request(message))
            if not isinstance(response, Response):
                raise TypeError("on_request must return a Response, not %s" % type(response).__name__)
            answer = response.to_message(message["id"])
        except Exception:
            self._stderr(traceback.format_exc())
            # A 5xx: the platform tries again later.
            answer = Response.error(500, "the adapter failed").to_message(message["id"])
        self._send(answer)

    def _send(self, message: dict):
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        with self._write_lock:
            try:
                self._out.write(line)
                self._out.flush()
            except (BrokenPipeError, ValueError):
                # The gateway is gone (or closed the pipe): nobody is left to talk to.
                os._exit(1)

    @staticmethod
    def _stderr(text: str):
        sys.stderr.write(text if text.endswith("\n") else text + "\n")
        sys.stderr.flush()
