#!/usr/bin/env python3
"""A TCP relay on loopback that can die: a stand-in for a database host that goes away.

    python3 e2e/support/tcp_relay.py TARGET_HOST TARGET_PORT

Listens on 127.0.0.1 and a free port, prints one JSON line (`{"port"}`), and forwards every
connection to TARGET_HOST:TARGET_PORT. When stdin closes (or on SIGTERM) it closes the listener and
every relayed connection at once and exits: to a client the host is gone, as when a server dies —
new connections are refused and open ones end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading


def pump(source: socket.socket, sink: socket.socket):
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    for s in (source, sink):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main() -> int:
    target = (sys.argv[1], int(sys.argv[2]))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    open_sockets: list[socket.socket] = []
    lock = threading.Lock()

    def accept():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with lock:
                open_sockets.extend((client, upstream))
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    def die(*_):
        listener.close()
        with lock:
            for s in open_sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
        sys.stdout.flush()
        # Threads blocked in recv/accept would keep the process: end it here.
        os._exit(0)

    signal.signal(signal.SIGTERM, die)
    threading.Thread(target=accept, daemon=True).start()
    print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
    sys.stdin.read()
    die()
    return 0


if __name__ == "__main__":
    sys.exit(main())
