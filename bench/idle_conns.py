#!/usr/bin/env python3
"""Hold N idle keep-alive HTTP/1.1 connections open against HOST:PORT.

Usage: idle_conns.py HOST PORT N [--hold SECONDS] [--window K] [--pids PID,PID,...]

1. Opens N TCP connections (at most --window connects/requests in progress at a time),
   sends one `GET / HTTP/1.1` on each and reads its whole answer (Content-Length or chunked),
   leaving the connection open (keep-alive).
2. Holds them all open for --hold seconds (default 2). With --pids it records the summed
   VmRSS of those processes while the connections are held.
3. Makes one fresh request on a new connection and records its status.
4. Counts how many of the N connections are still open (not closed or reset by the server),
   then sends a second request on every open one and counts the 200 answers.

Prints human-readable lines and, last, one machine-readable line:
  RESULT n=.. established=.. answered=.. open_after_hold=.. reused_200=.. fresh_status=..
         held=yes|no rss_mb=.. setup_s=..
Non-blocking sockets and selectors only; no third-party modules.
"""
import argparse
import errno
import resource
import selectors
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft < want:
        target = want if hard == resource.RLIM_INFINITY else min(want, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < want:
        print(f"warning: RLIMIT_NOFILE is {soft}, fewer than the {want} needed", file=sys.stderr)


def response_complete(buf):
    """Returns (status, complete) for the bytes received so far on one connection."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None, False
    head = buf[:head_end].decode("latin-1")
    lines = head.split("\r\n")
    try:
        status = int(lines[0].split(" ")[1])
    except (IndexError, ValueError):
        return None, True
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    body = buf[head_end + 4:]
    if "content-length" in headers:
        return status, len(body) >= int(headers["content-length"])
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return status, body.endswith(b"0\r\n\r\n")
    if status in (204, 304) or 100 <= status < 200:
        return status, True
    return status, False  # read-until-close: never complete on a kept-alive connection


class Conn:
    __slots__ = ("sock", "state", "buf", "status", "sent")

    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"
        self.buf = b""
        self.status = None
        self.sent = 0


def run_requests(conns, sel, window, deadline, connect_first, addr):
    """Drives every Conn through (connect ->) send -> read answer, at most `window` at a time.
    Returns the list of Conns that got a complete answer; failed ones are closed."""
    pending = list(conns)
    pending.reverse()
    active = 0
    done = []

    def start(c):
        nonlocal active
        if connect_first:
            c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.sock.setblocking(False)
            err = c.sock.connect_ex(addr)
            if err not in (0, errno.EINPROGRESS):
                c.state = "failed"
                c.sock.close()
                return
            c.state = "connecting"
        else:
            c.state = "sending"
        c.buf = b""
        c.sent = 0
        sel.register(c.sock, selectors.EVENT_WRITE, c)
        active += 1

    def finish(c, ok):
        nonlocal active
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        active -= 1
        if ok:
            c.state = "idle"
            done.append(c)
        else:
            c.state = "failed"
            try:
                c.sock.close()
            except OSError:
                pass

    while (pending or active) and time.monotonic() < deadline:
        while pending and active < window:
            start(pending.pop())
        if not active:
            continue
        for key, _ in sel.select(timeout=0.5):
            c = key.data
            try:
                if c.state == "connecting":
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        finish(c, False)
                        continue
                    c.state = "sending"
                if c.state == "sending":
                    c.sent += c.sock.send(REQUEST[c.sent:])
                    if c.sent == len(REQUEST):
                        c.state = "reading"
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                    continue
                if c.state == "reading":
                    data = c.sock.recv(65536)
                    if not data:
                        finish(c, False)
                        continue
                    c.buf += data
                    status, complete = response_complete(c.buf)
                    if complete:
                        c.status = status
                        finish(c, status is not None)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                finish(c, False)
    # whatever did not finish in time counts as failed
    for key in list(sel.get_map().values()):
        finish(key.data, False)
    return done


def still_open(conns):
    """A held connection counts as open when it has nothing to read (no FIN, no RST, no data)."""
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
    closed = set()
    for key, _ in sel.select(timeout=0):
        c = key.data
        try:
            data = c.sock.recv(1, socket.MSG_PEEK)
            if not data:
                closed.add(c)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            closed.add(c)
    sel.close()
    return [c for c in conns if c not in closed], len(closed)


def rss_mb(pids):
    total_kb = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
        except OSError:
            pass
    return total_kb / 1024.0


def fresh_request(addr, timeout=5.0):
    try:
        with socket.create_connection(addr, timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            buf = b""
            t0 = time.monotonic()
            while time.monotonic() - t0 < timeout:
                data = s.recv(65536)
                if not data:
                    break
                buf += data
                status, complete = response_complete(buf)
                if complete:
                    return status
            status, _ = response_complete(buf)
            return status if status is not None else "no answer"
    except OSError as e:
        return f"error ({e.__class__.__name__}: {e})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("--hold", type=float, default=2.0, help="seconds to hold the idle connections")
    ap.add_argument("--window", type=int, default=512, help="connects/requests in progress at once")
    ap.add_argument("--timeout", type=float, default=40.0, help="seconds allowed to set them all up")
    ap.add_argument("--pids", default="", help="comma-separated pids whose summed RSS is recorded")
    a = ap.parse_args()
    raise_nofile(a.n)
    addr = (a.host, a.port)
    pids = [p for p in a.pids.split(",") if p]

    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    conns = [Conn(None) for _ in range(a.n)]
    ok = run_requests(conns, sel, a.window, t0 + a.timeout, True, addr)
    setup = time.monotonic() - t0
    answered = sum(1 for c in ok if c.status == 200)
    print(f"{len(ok)} of {a.n} connections opened and answered ({answered} with 200) in {setup:.1f}s")

    time.sleep(a.hold)
    rss = rss_mb(pids) if pids else 0.0
    fresh = fresh_request(addr)
    open_conns, closed = still_open(ok)
    print(f"after holding {a.hold:g}s: {len(open_conns)} still open, {closed} closed by the server; "
          f"fresh request: {fresh}" + (f"; proxy RSS {rss:.0f} MB" if pids else ""))

    # reuse: one more request on every connection that is still open
    for c in open_conns:
        c.status = None
    again = run_requests(open_conns, sel, a.window, time.monotonic() + a.timeout, False, addr)
    reused = sum(1 for c in again if c.status == 200)
    print(f"second request on the held connections: {reused} of {len(open_conns)} answered 200")
    for c in conns:
        if c.sock is not None:
            try:
                c.sock.close()
            except OSError:
                pass

    held = len(open_conns) == a.n and answered == a.n
    print(f"{a.n} idle connections held: {'yes' if held else 'no'}, fresh request: {fresh}")
    print(f"RESULT n={a.n} established={len(ok)} answered={answered} open_after_hold={len(open_conns)} "
          f"reused_200={reused} fresh_status={str(fresh).split(' ')[0]} held={'yes' if held else 'no'} "
          f"rss_mb={rss:.0f} setup_s={setup:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
