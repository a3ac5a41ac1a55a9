#!/usr/bin/env python3
"""One run of the "pipelining without reading" attack against HOST:PORT; used by bench/flood.sh.

Usage: flood.py HOST PORT --pid PID [--paths /health,/health,/health,/health] [--duration 30]
                [--warmup 2] [--sample 0.5] [--client-interval 0.01] [--client-timeout 5]
                [--ss-out FILE]

1. A fifth client makes sequential keep-alive `GET /health` requests (one every
   --client-interval seconds, each with --client-timeout) for --warmup seconds; then the
   summed VmRSS of PID and all its descendants is read: "RSS before".
2. One flooding connection per path in --paths: each writes `GET <path> HTTP/1.1\r\nHost: x\r\n\r\n`
   repeated to 64 KiB per write (whole requests only, as the test suite's PipeliningFloodTest),
   for --duration seconds, and never reads. What send() accepted is counted.
   Meanwhile the fifth client goes on, and VmRSS is sampled every --sample seconds.
3. At the end, before the flooders close, `ss` shows the kernel queues of the flooding
   connections (written to --ss-out when given).

The flooders and the fifth client are separate processes (no shared GIL, so the fifth client's
latency is its own). Stdlib only. The last line printed is `RESULT {json}`.
"""
import argparse
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time

MIB = 1024 * 1024


# ------------------------------------------------------------------------------------------------
# RSS of a process tree
# ------------------------------------------------------------------------------------------------
def tree_pids(root):
    """root and all its descendants, from the ppid field of /proc/*/stat."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def vmrss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def tree_rss(root):
    """(summed VmRSS in kB, pids that had one)"""
    total, pids = 0, []
    for p in tree_pids(root):
        kb = vmrss_kb(p)
        if kb is not None:
            total += kb
            pids.append(p)
    return total, pids


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2] != "Z"
    except OSError:
        return False


# ------------------------------------------------------------------------------------------------
# The fifth client: sequential keep-alive requests
# ------------------------------------------------------------------------------------------------
def read_response(sock, buf):
    """Reads one response; returns (status, leftover bytes). Raises on close or timeout."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        buf += chunk
    head_end = buf.index(b"\r\n\r\n")
    head = buf[:head_end].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    rest = buf[head_end + 4:]
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed in the body")
            rest += chunk
        return status, headers, rest[n:]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            while b"\r\n" not in rest:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed in a chunk size")
                rest += chunk
            line, _, rest = rest.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed in a chunk")
                rest += chunk
            rest = rest[size + 2:]
            if size == 0:
                return status, headers, rest
    raise ConnectionError("response without Content-Length or chunked encoding")


def fifth_client(host, port, t_flood, t_end, interval, timeout, conn):
    """Runs until t_end (monotonic); sends back a list of (t_start, latency_s, ok, error)."""
    records = []
    sock, buf = None, b""
    req = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    next_at = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= t_end:
            break
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        t0 = time.monotonic()
        err = None
        try:
            if sock is None:
                sock = socket.create_connection((host, port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buf = b""
            sock.settimeout(max(0.001, timeout - (time.monotonic() - t0)))
            sock.sendall(req)
            sock.settimeout(max(0.001, timeout - (time.monotonic() - t0)))
            status, headers, buf = read_response(sock, buf)
            if status != 200:
                err = f"status {status}"
            if headers.get("connection", "").lower() == "close":
                sock.close()
                sock = None
        except (OSError, ValueError, IndexError) as e:
            err = type(e).__name__ + (f": {e}" if str(e) else "")
            if sock is not None:
                sock.close()
            sock = None
        records.append((t0, time.monotonic() - t0, err is None, err))
        if next_at < time.monotonic():  # behind schedule (a slow answer): no burst to catch up
            next_at = time.monotonic()
    if sock is not None:
        sock.close()
    conn.send(records)
    conn.close()


# ------------------------------------------------------------------------------------------------
# A flooder: pipelined requests, 64 KiB per write, never reads
# ------------------------------------------------------------------------------------------------
def flooder(host, port, path, t_start, t_end, ready, conn):
    one = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode("ascii")
    block = one * (64 * 1024 // len(one))
    view = memoryview(block)
    sent = 0
    last_progress = None
    err = None
    sock = socket.create_connection((host, port), timeout=5)
    ready.send(sock.getsockname()[1])
    ready.close()
    while time.monotonic() < t_start:
        time.sleep(0.001)
    sock.settimeout(0.2)
    off = 0
    timeline = []  # (t, total sent) once a second
    next_mark = t_start + 1.0
    try:
        while True:
            now = time.monotonic()
            if now >= t_end:
                break
            if now >= next_mark:
                timeline.append((round(now - t_start, 1), sent))
                next_mark += 1.0
            try:
                n = sock.send(view[off:])
            except socket.timeout:
                continue
            sent += n
            off = (off + n) % len(block)
            last_progress = time.monotonic() - t_start
    except OSError as e:
        err = f"{type(e).__name__}: {e} at {time.monotonic() - t_start:.1f}s"
    # The main process reads the kernel queues (ss) now, then tells us to close.
    conn.send({"path": path, "sent": sent, "last_progress_s": last_progress, "error": err,
               "timeline": timeline})
    conn.recv()
    try:
        sock.close()
    except OSError:
        pass
    conn.close()


# ------------------------------------------------------------------------------------------------
def ss_queues(port, local_ports):
    """{client port: {"proxy_recvq", "proxy_sendq", "client_recvq", "client_sendq"}} from ss -tn."""
    try:
        out = subprocess.run(["ss", "-Htn", "state", "established"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return {}, ""
    q = {p: {} for p in local_ports}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        recvq, sendq, local, peer = int(f[0]), int(f[1]), f[2], f[3]
        lport, pport = int(local.rsplit(":", 1)[1]), int(peer.rsplit(":", 1)[1])
        if lport == port and pport in q:  # the proxy's end of a flooding connection
            q[pport].update(proxy_recvq=recvq, proxy_sendq=sendq)
        elif pport == port and lport in q:  # the flooder's end
            q[lport].update(client_recvq=recvq, client_sendq=sendq)
    return q, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--pid", type=int, required=True, help="the proxy's (master) process")
    ap.add_argument("--paths", default="/health,/health,/health,/health")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--sample", type=float, default=0.5)
    ap.add_argument("--client-interval", type=float, default=0.01)
    ap.add_argument("--client-timeout", type=float, default=5)
    ap.add_argument("--ss-out")
    a = ap.parse_args()
    paths = [p for p in a.paths.split(",") if p]
    ctx = mp.get_context("fork")

    t0 = time.monotonic()
    t_flood = t0 + a.warmup + 0.5       # flooders connect in the half second before
    t_end = t_flood + a.duration
    c_recv, c_send = ctx.Pipe(duplex=False)
    client = ctx.Process(target=fifth_client, args=(a.host, a.port, t_flood, t_end, a.client_interval,
                                                    a.client_timeout, c_send), daemon=True)
    client.start()

    # Warm-up: the fifth client alone; then "RSS before".
    time.sleep(max(0, t_flood - 0.5 - time.monotonic()))
    rss_before, pids_before = tree_rss(a.pid)

    flooders, ports = [], []
    for path in paths:
        r_recv, r_send = ctx.Pipe(duplex=False)
        parent, child = ctx.Pipe()
        p = ctx.Process(target=flooder, args=(a.host, a.port, path, t_flood, t_end, r_send, child), daemon=True)
        p.start()
        flooders.append((p, parent))
        if r_recv.poll(10):
            ports.append(r_recv.recv())
        else:
            ports.append(None)

    samples = []  # (t since flood start, rss kB, number of pids)
    pids_seen = set(pids_before)
    proxy_died_at = None
    while True:
        now = time.monotonic()
        if now >= t_end:
            break
        if now >= t_flood:
            kb, pids = tree_rss(a.pid)
            samples.append((round(now - t_flood, 2), kb, len(pids)))
            pids_seen.update(pids)
            if proxy_died_at is None and not alive(a.pid):
                proxy_died_at = round(now - t_flood, 2)
        time.sleep(max(0, min(a.sample, t_end - time.monotonic())) if now >= t_flood else
                    max(0, t_flood - now))
    kb, pids = tree_rss(a.pid)
    samples.append((round(time.monotonic() - t_flood, 2), kb, len(pids)))
    pids_seen.update(pids)

    results = []
    for p, parent in flooders:
        results.append(parent.recv() if parent.poll(15) else {"error": "no report from the flooder"})
    queues, ss_raw = ss_queues(a.port, [x for x in ports if x])
    if a.ss_out:
        with open(a.ss_out, "w") as f:
            f.write(ss_raw)
    for (p, parent), port, r in zip(flooders, ports, results):
        r["client_port"] = port
        r.update(queues.get(port, {}))
        parent.send("close")
    for p, _ in flooders:
        p.join(10)
    # After the flooders closed: RSS once more, a second later.
    time.sleep(1)
    rss_after_close, _ = tree_rss(a.pid)

    records = c_recv.recv() if c_recv.poll(a.client_timeout + 15) else []
    client.join(5)
    during = [r for r in records if t_flood <= r[0] < t_end]
    warm = [r for r in records if r[0] < t_flood]
    ok = [r for r in during if r[2]]
    failed = [r for r in during if not r[2]]
    lat_ok = sorted(r[1] for r in ok)
    errors = {}
    for r in failed:
        errors[r[3]] = errors.get(r[3], 0) + 1

    def pct(v, q):
        return round(v[min(len(v) - 1, int(q * len(v)))] * 1000, 2) if v else None

    result = {
        "rss_before_kb": rss_before,
        "pids_before": pids_before,
        "rss_max_kb": max((s[1] for s in samples), default=None),
        "rss_max_at_s": max(samples, key=lambda s: s[1])[0] if samples else None,
        "rss_last_kb": samples[-1][1] if samples else None,
        "rss_after_close_kb": rss_after_close,
        "samples": samples,
        "pids_seen": sorted(pids_seen),
        "proxy_died_at_s": proxy_died_at,
        "proxy_alive_at_end": alive(a.pid),
        "flooders": results,
        "client_warmup_ok": sum(1 for r in warm if r[2]),
        "client_warmup_failed": sum(1 for r in warm if not r[2]),
        "client_ok": len(ok),
        "client_failed": len(failed),
        "client_errors": errors,
        "client_max_ms": round(max((r[1] for r in during), default=0) * 1000, 2) if during else None,
        "client_max_ok_ms": round(lat_ok[-1] * 1000, 2) if lat_ok else None,
        "client_p50_ms": pct(lat_ok, 0.50),
        "client_p99_ms": pct(lat_ok, 0.99),
        "client_first_fail_s": round(failed[0][0] - t_flood, 2) if failed else None,
    }
    for fl in results:
        print(f"flooder {fl.get('path')}: sent {fl.get('sent', 0) / MIB:.1f} MiB, last progress at "
              f"{round(fl['last_progress_s'], 2) if fl.get('last_progress_s') is not None else None} s, error {fl.get('error')}, queues: proxy recv {fl.get('proxy_recvq')} "
              f"send {fl.get('proxy_sendq')}, client recv {fl.get('client_recvq')}", file=sys.stderr)
    print(f"RSS before {rss_before / 1024:.1f} MiB, max {result['rss_max_kb'] / 1024:.1f} MiB; fifth client "
          f"{len(ok)} ok, {len(failed)} failed, max {result['client_max_ms']} ms", file=sys.stderr)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
