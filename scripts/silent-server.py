#!/usr/bin/env python3
"""A server that accepts connections and never answers: a context provider (or any endpoint) that hangs.
Usage: scripts/silent-server.py PORT"""
import socket
import sys
import threading

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(1024)
held = []
while True:
    conn, _ = listener.accept()
    held.append(conn)  # kept open, never read from or written to
