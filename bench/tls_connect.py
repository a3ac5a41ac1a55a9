#!/usr/bin/env python3
"""New TLS connections per second: one full handshake and one request per connection.

Usage: tls_connect.py HOST PORT [--duration SECONDS] [--procs N] [--path /]

N processes (default 8) each loop for --duration seconds: connect (TCP_NODELAY), full TLS
handshake (a fresh session every time: no resumption, unlike wrk, which resumes the previous
session when the server allows it), ALPN http/1.1, send `GET <path> HTTP/1.1` with
`Connection: close`, read the answer until the server closes. A connection counts when the answer starts with `HTTP/1.1 200`;
anything else, an exception included, is an error.

Prints one machine-readable line:
  RESULT connections=.. errors=.. seconds=.. rate=.. p50_ms=.. p99_ms=.. protocol=<version>/<cipher>
Stdlib only.
"""
import argparse
import multiprocessing
import socket
import ssl
import sys
import time


def worker(host, port, path, deadline, queue):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    ok, errors, lat, proto = 0, 0, [], None
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=10) as raw:
                # As wrk, h2load, curl and browsers do. Without it the request waits for the ACK
                # of the client's Finished when the server sends nothing after its handshake
                # (Turnout issues no TLS 1.3 session ticket): about 40 ms of delayed ACK.
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    if proto is None:
                        proto = f"{s.version()} {s.cipher()[0]}"
                    s.sendall(request)
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
            if data.startswith(b"HTTP/1.1 200"):
                ok += 1
                lat.append(time.monotonic() - t0)
            else:
                errors += 1
        except (OSError, ssl.SSLError):
            errors += 1
    queue.put((ok, errors, lat, proto))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--procs", type=int, default=8)
    p.add_argument("--path", default="/")
    a = p.parse_args()
    queue = multiprocessing.Queue()
    start = time.monotonic()
    deadline = start + a.duration
    procs = [multiprocessing.Process(target=worker, args=(a.host, a.port, a.path, deadline, queue))
             for _ in range(a.procs)]
    for pr in procs:
        pr.start()
    results = [queue.get() for _ in procs]
    for pr in procs:
        pr.join()
    seconds = time.monotonic() - start
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    proto = next((r[3] for r in results if r[3]), "none")

    def pct(q):
        return f"{lat[min(len(lat) - 1, int(q * len(lat)))] * 1000:.3f}" if lat else "nan"

    print(f"RESULT connections={ok} errors={errors} seconds={seconds:.2f} rate={ok / seconds:.0f} "
          f"p50_ms={pct(0.50)} p99_ms={pct(0.99)} protocol={proto.replace(' ', '/')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
