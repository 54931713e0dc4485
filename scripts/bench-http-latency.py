#!/usr/bin/env python3
"""Times GET requests against a running gateway, one keep-alive connection, one request at a time.

Usage: bench-http-latency.py URL TOKEN COUNT LABEL PATH [PATH ...]
Each PATH (with its query) is requested in turn, COUNT requests in all after 5 untimed ones; prints
one line: LABEL, requests, p50 / p95 / p99 / max in milliseconds, and the mean response size.
A response other than 200 stops it with the body (a benchmark of errors measures nothing)."""
import http.client
import sys
import time
import urllib.parse


def main() -> None:
    url, token, count, label, paths = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str) -> int:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit(f"{label}: GET {path} answered {response.status}: {body[:300]!r}")
        return len(body)

    for i in range(5):
        get(paths[i % len(paths)])
    times, sizes = [], []
    for i in range(count):
        start = time.perf_counter()
        sizes.append(get(paths[i % len(paths)]))
        times.append((time.perf_counter() - start) * 1000)
    times.sort()

    def rank(p: float) -> float:
        return times[min(len(times) - 1, max(0, int(-(-p * len(times) // 1)) - 1))]

    print(
        f"   {label:<44} {count:5d} req  p50 {rank(0.5):7.1f} ms  p95 {rank(0.95):7.1f} ms  p99 {rank(0.99):7.1f} ms"
        f"  max {times[-1]:7.1f} ms  {sum(sizes) / len(sizes) / 1024:7.1f} KB"
    )


if __name__ == "__main__":
    main()
