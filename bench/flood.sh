#!/usr/bin/env bash
# "Pipelining without reading", side by side: nginx vs HAProxy vs Turnout, all on 127.0.0.1.
#
#   sudo bench/flood.sh                          # both variants, 30 s per proxy (about 4 minutes)
#   DURATION=5 SKIP_BUILD=1 KEEP_RESULT=0 bench/flood.sh   # quick smoke run
#
# What it measures, per proxy and variant (each proxy started fresh, one at a time):
#   four client connections pipeline `GET /health HTTP/1.1\r\nHost: x\r\n\r\n` repeated to
#   64 KiB per write and never read a response; a fifth client meanwhile makes sequential
#   keep-alive GET /health requests and must be served throughout. Reported: the summed VmRSS
#   of all the proxy's processes (nginx: master + workers; Turnout: the java process) before the
#   flood and the maximum during it (sampled every SAMPLE seconds from /proc/<pid>/status), the
#   MB each flooding connection's socket accepted, whether the proxy stayed alive (process up,
#   and a fresh request after the flood gets 200), and the fifth client's requests served and
#   failed and its maximum latency. Variant "8k": one of the four flooders requests /8k (8192
#   bytes from the backend) instead of /health. The client is bench/flood.py (Python 3 stdlib).
#
# Environment knobs (defaults in brackets):
#   DURATION [30]         seconds of flood per proxy and variant
#   WARMUP [5]            seconds of the fifth client alone before the flood ("RSS before" after it)
#   SAMPLE [0.5]          seconds between RSS samples
#   CLIENT_INTERVAL [0.01]  seconds between the fifth client's request starts (sequential, keep-alive)
#   CLIENT_TIMEOUT [5]    seconds the fifth client waits for one answer before it counts a failure
#   PROXIES ["nginx haproxy turnout"]   VARIANTS ["health 8k"]
#   SKIP_BUILD [0]        1: use the existing target/turnout.jar
#   TURNOUT_JAR [target/turnout.jar]  another jar (implies no build)
#   SKIP_INSTALL [0]      1: never call apt-get
#   TURNOUT_JAVA_OPTS     [unset]  Turnout runs as the README runs it, bin/turnout with bin/jvm.options;
#                          these options come after the file's (the JVM takes the last of a repeated one)
#   KEEP_RESULT [1]       0: do not write bench/results/*-flood.md (report on stdout only)
#
# Needs root for apt-get when nginx/haproxy/curl are missing. Binds only to 127.0.0.1: backend
# 18201, nginx 18281, HAProxy 18282, Turnout 18283 (admin 19283), so it can run beside bench/run.sh.
# The proxies are configured as in bench/run.sh. Everything it starts is stopped on exit.
set -euo pipefail

DURATION=${DURATION:-30}
WARMUP=${WARMUP:-5}
SAMPLE=${SAMPLE:-0.5}
CLIENT_INTERVAL=${CLIENT_INTERVAL:-0.01}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-5}
PROXIES=${PROXIES:-"nginx haproxy turnout"}
VARIANTS=${VARIANTS:-"health 8k"}
SKIP_BUILD=${SKIP_BUILD:-0}
SKIP_INSTALL=${SKIP_INSTALL:-0}
KEEP_RESULT=${KEEP_RESULT:-1}
TURNOUT_JAVA_OPTS=${TURNOUT_JAVA_OPTS:-}
export TURNOUT_JAVA_OPTS

HOST=127.0.0.1
PORT_BACKEND=18201
PORT_NGINX=18281
PORT_HAPROXY=18282
PORT_TURNOUT=18283
PORT_ADMIN=19283
BENCH_TMP=/tmp/turnout-bench

log() { printf '[flood %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf '[flood] ERROR: %s\n' "$*" >&2; exit 1; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$REPO"
[[ -f pom.xml ]] || die "cannot find the repository root (no pom.xml in $REPO)"

for v in DURATION WARMUP SAMPLE CLIENT_INTERVAL CLIENT_TIMEOUT; do
  [[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$v must be a number of seconds (got '${!v}')"
done
for p in $PROXIES; do [[ $p =~ ^(nginx|haproxy|turnout)$ ]] || die "PROXIES: unknown proxy '$p'"; done
for v in $VARIANTS; do [[ $v =~ ^(health|8k)$ ]] || die "VARIANTS: unknown variant '$v'"; done

# ---------------------------------------------------------------------------------------------
# Process bookkeeping, cleanup and nginx start-up: bench/lib.sh
# ---------------------------------------------------------------------------------------------
# shellcheck source=bench/lib.sh
source "$SCRIPT_DIR/lib.sh"
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------
missing=()
for c in nginx haproxy curl python3 ss; do
  command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if ((${#missing[@]})); then
  [[ $SKIP_INSTALL == 1 ]] && die "missing: ${missing[*]} (and SKIP_INSTALL=1)"
  [[ $(id -u) -eq 0 ]] || die "missing: ${missing[*]}; run as root to install them with apt-get"
  command -v apt-get >/dev/null 2>&1 || die "missing: ${missing[*]}, and no apt-get to install them"
  log "installing nginx haproxy curl python3 iproute2 (missing: ${missing[*]})"
  created_policy=0  # keep the packages' init scripts from starting system nginx/haproxy on port 80
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_rc=0
  { apt-get update -q && apt-get install -y -q nginx haproxy curl python3 iproute2; } >&2 || apt_rc=$?
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
  ((apt_rc == 0)) || die "apt-get failed (exit $apt_rc)"
  for c in nginx haproxy curl python3 ss; do
    command -v "$c" >/dev/null 2>&1 || die "$c is still missing after apt-get install"
  done
fi
command -v java >/dev/null 2>&1 || die "java not found (JDK 17 is needed)"
NGINX_BIN=$(command -v nginx)
HAPROXY_BIN=$(command -v haproxy)

if [[ $SKIP_BUILD != 1 && -z ${TURNOUT_JAR:-} && " $PROXIES " == *" turnout "* ]]; then
  command -v mvn >/dev/null 2>&1 || die "mvn not found (or set SKIP_BUILD=1 with an existing target/turnout.jar)"
  log "building Turnout: mvn -B -q -DskipTests package"
  mvn -B -q -DskipTests package >&2 || die "the Maven build failed"
fi
JAR=${TURNOUT_JAR:-$REPO/target/turnout.jar}
if [[ " $PROXIES " == *" turnout "* ]]; then
  [[ -f $JAR ]] || die "$JAR not found (build with: mvn -B -q -DskipTests package)"
  JAR=$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")
  if [[ -z ${TURNOUT_JAR:-} && -n $(find src/main pom.xml -newer "$JAR" -print -quit 2>/dev/null) ]]; then
    log "WARNING: sources are newer than $JAR (SKIP_BUILD=1?); the run may measure an old build"
  fi
fi

for p in $PORT_BACKEND $PORT_NGINX $PORT_HAPROXY $PORT_TURNOUT $PORT_ADMIN; do
  port_in_use "$p" && die "port $HOST:$p is already in use (a leftover run? check: ss -ltnp 'sport = :$p')"
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$BENCH_TMP"
RUN_DIR=$(mktemp -d "$BENCH_TMP/flood-$(date +%Y%m%d-%H%M%S)-XXXX")
chmod 755 "$BENCH_TMP" "$RUN_DIR"
log "run directory: $RUN_DIR"

# ---------------------------------------------------------------------------------------------
# Configs and start-up (as bench/run.sh)
# ---------------------------------------------------------------------------------------------
NGINX_USER=root
id www-data >/dev/null 2>&1 && NGINX_USER=www-data

# The backend: one nginx worker; /health a small 200, /8k a static file of 8192 bytes.
BACKEND_DIR=$RUN_DIR/backend
mkdir -p "$BACKEND_DIR/tmp" "$BACKEND_DIR/www"
chmod 755 "$BACKEND_DIR" "$BACKEND_DIR/www"
head -c 8192 /dev/zero | tr '\0' 'k' > "$BACKEND_DIR/www/8k"
chmod 644 "$BACKEND_DIR/www/8k"
cat >"$BACKEND_DIR/nginx.conf" <<EOF
# backend: static answers, one worker
$(nginx_preamble "$BACKEND_DIR" 1)
    server {
        listen $HOST:$PORT_BACKEND;
        default_type text/plain;
        location / { return 200 "turnout-bench backend\n"; }
        location = /health { return 200 "ok\n"; }
        location = /8k { root $BACKEND_DIR/www; }
    }
}
EOF
log "starting the backend ($PORT_BACKEND)"
start_nginx backend "$BACKEND_DIR" "$BACKEND_DIR/nginx.conf"
BACKEND_PID=$STARTED_PID
wait_http backend "http://$HOST:$PORT_BACKEND/health" "$BACKEND_PID"
size_8k=$(curl -s -o /dev/null -w '%{size_download}' "http://$HOST:$PORT_BACKEND/8k")
[[ $size_8k == 8192 ]] || die "backend /8k answered $size_8k bytes, not 8192"

NCPU=$(nproc)
HAPROXY_LIMITS=""
(($(ulimit -n) < 40100)) && HAPROXY_LIMITS="    no strict-limits   # ulimit -n is only $(ulimit -n) here"

# start_proxy name dir -> pid in $PROXY_PID, port in $PROXY_PORT
start_proxy() {
  local name=$1 dir=$2
  mkdir -p "$dir/tmp"
  chmod 755 "$dir"
  case $name in
    nginx)
      cat >"$dir/nginx.conf" <<EOF
$(nginx_preamble "$dir" auto)
    upstream app {
        server $HOST:$PORT_BACKEND;
        keepalive 32;
    }
    server {
        listen $HOST:$PORT_NGINX;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_buffering off;
        }
    }
}
EOF
      start_nginx proxy "$dir" "$dir/nginx.conf"
      PROXY_PID=$STARTED_PID PROXY_PORT=$PORT_NGINX
      ;;
    haproxy)
      cat >"$dir/haproxy.cfg" <<EOF
global
    maxconn 20000
    nbthread $NCPU
    pidfile $dir/haproxy.pid
$HAPROXY_LIMITS

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
    http-reuse always
    maxconn 20000

frontend fe
    bind $HOST:$PORT_HAPROXY
    default_backend be

backend be
    server app $HOST:$PORT_BACKEND
EOF
      "$HAPROXY_BIN" -c -q -f "$dir/haproxy.cfg" >"$dir/configtest.log" 2>&1 ||
        die "HAProxy config test failed: $(cat "$dir/configtest.log")"
      "$HAPROXY_BIN" -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
      PROXY_PID=$! PROXY_PORT=$PORT_HAPROXY
      track "$PROXY_PID" haproxy
      ;;
    turnout)
      cat >"$dir/proxy.yaml" <<EOF
listen: $HOST:$PORT_TURNOUT
admin:
  listen: $HOST:$PORT_ADMIN
pools:
  blue:  { backends: ["$HOST:$PORT_BACKEND"] }
  green: { backends: ["$HOST:$PORT_BACKEND"] }
active: blue
state:
  file: $dir/turnout-state.json
health:
  path: /health
EOF
      java -jar "$JAR" check --config "$dir/proxy.yaml" >"$dir/check.log" 2>&1 ||
        die "turnout check failed (an old jar? rebuild without SKIP_BUILD): $(cat "$dir/check.log")"
      TURNOUT_JAR=$JAR "$REPO/bin/turnout" --config "$dir/proxy.yaml" >"$dir/turnout.log" 2>&1 &
      PROXY_PID=$! PROXY_PORT=$PORT_TURNOUT
      track "$PROXY_PID" turnout
      ;;
  esac
}

declare -A LABEL_OF=([nginx]="nginx" [haproxy]="HAProxy" [turnout]="Turnout")
declare -A PATHS_OF=([health]="/health,/health,/health,/health" [8k]="/health,/health,/health,/8k")

# ---------------------------------------------------------------------------------------------
# The runs: each proxy fresh, one at a time, for each variant
# ---------------------------------------------------------------------------------------------
for variant in $VARIANTS; do
  for name in $PROXIES; do
    dir=$RUN_DIR/$variant-$name
    mkdir -p "$dir"
    log "[$variant] starting ${LABEL_OF[$name]}"
    start_proxy "$name" "$dir"
    wait_http "${LABEL_OF[$name]}" "http://$HOST:$PROXY_PORT/health" "$PROXY_PID"
    if [[ $name == turnout ]]; then
      wait_http "Turnout admin" "http://$HOST:$PORT_ADMIN/admin/status" "$PROXY_PID"
    fi
    # the same answer through the proxy as from the backend
    got=$(curl -s -o /dev/null -w '%{size_download}' "http://$HOST:$PROXY_PORT/8k")
    [[ $got == 8192 ]] || die "${LABEL_OF[$name]}: /8k answered $got bytes, not 8192"

    log "[$variant] ${LABEL_OF[$name]}: flood for ${DURATION}s (paths ${PATHS_OF[$variant]})"
    cat /proc/loadavg > "$dir/loadavg-before"
    python3 "$SCRIPT_DIR/flood.py" "$HOST" "$PROXY_PORT" --pid "$PROXY_PID" --paths "${PATHS_OF[$variant]}" \
      --duration "$DURATION" --warmup "$WARMUP" --sample "$SAMPLE" --client-interval "$CLIENT_INTERVAL" \
      --client-timeout "$CLIENT_TIMEOUT" --ss-out "$dir/ss-at-end.txt" >"$dir/flood.out" 2>"$dir/flood.err" ||
      log "[$variant] flood.py exited $? (see $dir/flood.err)"
    cat /proc/loadavg > "$dir/loadavg-after"
    sed 's/^/    /' "$dir/flood.err" >&2
    grep '^RESULT ' "$dir/flood.out" | tail -1 | cut -c8- > "$dir/result.json" ||
      die "[$variant] ${LABEL_OF[$name]}: flood.py gave no RESULT line (see $dir/flood.err)"

    # alive: the process is up and a fresh connection after the flood gets a 200
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://$HOST:$PROXY_PORT/health" 2>/dev/null || true)
    up=no; kill -0 "$PROXY_PID" 2>/dev/null && up=yes
    printf '%s %s\n' "$up" "${code:-000}" > "$dir/alive"
    log "[$variant] ${LABEL_OF[$name]}: process up: $up; fresh request after the flood: ${code:-none}"

    stop_pid "$PROXY_PID" "${LABEL_OF[$name]}"
    # proxy logs, kept for the report's notes
    case $name in
      nginx) cp "$dir/error.log" "$dir/proxy.log" 2>/dev/null || : >"$dir/proxy.log" ;;
      haproxy) cp "$dir/haproxy.log" "$dir/proxy.log" ;;
      turnout) cp "$dir/turnout.log" "$dir/proxy.log" ;;
    esac
    sleep 1
  done
done

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
machine_facts
PYTHON_VERSION=$(python3 --version 2>&1)
TRANSPORT=$(grep -ho 'listening on [^ ]* ([a-z_]*)' "$RUN_DIR"/*-turnout/turnout.log 2>/dev/null | sed -n 1p | grep -o '([a-z_]*)' | tr -d '()' || true)
NOW=$(date +%Y-%m-%d-%H%M)

row() { # variant name -> one table row
  local variant=$1 name=$2 dir=$RUN_DIR/$1-$2 up code
  read -r up code < "$dir/alive"
  python3 - "$dir/result.json" "${LABEL_OF[$name]}" "$up" "$code" "$dir/proxy.log" "$name" <<'EOF'
import json, re, sys
r = json.load(open(sys.argv[1])); label, up, code, logf, name = sys.argv[2:7]
mb = lambda kb: f"{kb / 1024:.0f}" if kb is not None else "n/a"
sent = " / ".join(f"{f.get('sent', 0) / 1048576:.1f}" + (" (8k)" if f.get("path") == "/8k" else "")
                  for f in r["flooders"])
log = open(logf, errors="replace").read()
notes = []
if r.get("proxy_died_at_s") is not None:
    notes.append(f"exited at {r['proxy_died_at_s']} s")
respawned = len(r["pids_seen"]) - len(r["pids_before"])
if respawned > 0:
    notes.append(f"{respawned} new process(es) during the flood")
if "OutOfMemoryError" in log:
    notes.append("OutOfMemoryError in its log")
if name == "nginx" and re.search(r"exited on signal", log):
    notes.append("a worker exited on a signal")
alive = "yes" if up == "yes" and code == "200" and not notes else \
        f"**no** (process up: {up}, fresh request: {code}{'; ' + '; '.join(notes) if notes else ''})"
print(f"| {label} | {mb(r['rss_before_kb'])} | {mb(r['rss_max_kb'])} | {sent} | {alive} | "
      f"{r['client_ok']} / {r['client_failed']} | {r['client_max_ms'] if r['client_max_ms'] is not None else 'n/a'} |")
EOF
}

details() { # variant name -> one line of details
  local variant=$1 name=$2 dir=$RUN_DIR/$1-$2
  python3 - "$dir/result.json" "${LABEL_OF[$name]}" "$(cat "$dir/loadavg-before")" "$(cat "$dir/loadavg-after")" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); label = sys.argv[2]
la0 = " ".join(sys.argv[3].split()[:3]); la1 = " ".join(sys.argv[4].split()[:3])
def q(v):
    return "n/a" if v is None else f"{v / 1024:.0f} KiB"
fl = []
for f in r["flooders"]:
    lp = f.get("last_progress_s")
    s = f"{f.get('path')}: last byte accepted at {'n/a' if lp is None else round(lp, 1)} s"
    if f.get("client_sendq") is not None and f.get("proxy_recvq") is not None:
        read = f["sent"] - f["client_sendq"] - f["proxy_recvq"]
        s += f"; read by the proxy about {read / 1048576:.2f} MB"
    s += (f"; at the end, in the kernel: not yet read by the proxy {q(f.get('proxy_recvq'))}, in the flooder's"
          f" send queue {q(f.get('client_sendq'))}, proxy's send queue {q(f.get('proxy_sendq'))},"
          f" unread by the flooder {q(f.get('client_recvq'))}")
    if f.get("error"):
        s += f", ended by {f['error']}"
    fl.append(s)
errs = ", ".join(f"{k} x{v}" for k, v in r["client_errors"].items()) or "none"
print(f"- {label}: RSS at the flood's end {r['rss_last_kb'] / 1024:.0f} MB, 1 s after the flooders closed "
      f"{r['rss_after_close_kb'] / 1024:.0f} MB; RSS max at {r['rss_max_at_s']} s; fifth client p50 "
      f"{r['client_p50_ms']} ms, p99 {r['client_p99_ms']} ms, failures: {errs}; load average before {la0}, after {la1}")
for s in fl:
    print("  - " + s)
EOF
}

REPORT=$RUN_DIR/report.md
{
  echo "# Turnout flood benchmark (pipelining without reading), $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  echo "## Machine"
  echo
  echo "- CPU: $NCPU cores, ${CPU_MODEL:-unknown model}"
  echo "- RAM: $MEM_TOTAL; kernel $(uname -r)"
  echo "- Java: $JAVA_VERSION; $PYTHON_VERSION (the flood client)"
  echo "- nginx: $NGINX_VERSION; HAProxy: $HAPROXY_VERSION"
  echo "- Turnout: $TURNOUT_LINE; socket transport: ${TRANSPORT:-unknown}"
  echo "- load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared; other work skews latencies)"
  echo "- kernel TCP buffers: tcp_rmem $(sysctl -n net.ipv4.tcp_rmem | tr '\t' ' '), tcp_wmem $(sysctl -n net.ipv4.tcp_wmem | tr '\t' ' ') (what the flooders' sockets accept is mostly these buffers)"
  echo
  echo "## Settings"
  echo
  echo "- each proxy started fresh for each variant and flooded alone, for ${DURATION} s; all on 127.0.0.1"
  echo "- flooders: 4 connections, each writes \`GET <path> HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\` repeated to 64 KiB (whole requests) per write and never reads"
  echo "- fifth client: one keep-alive connection, sequential \`GET /health\`, a request started every ${CLIENT_INTERVAL} s (or as soon as the previous answer came), ${CLIENT_TIMEOUT} s timeout per request (a failure closes and reconnects); ${WARMUP} s alone before the flood; ok/failed and max latency count only the requests started during the flood"
  echo "- RSS: summed VmRSS of the proxy's processes (nginx: master + workers; HAProxy: its one process; Turnout: the java process), \"before\" at the end of the warm-up, max over samples every ${SAMPLE} s during the flood; MB = 2^20 bytes"
  echo "- MB sent per flooder: bytes the flooder's socket accepted (send() return values) during the flood; most of it can still sit in the flooder's own kernel send queue, so the details below also give, from \`ss -tn\` at the flood's end, what the proxy had read (sent - flooder's send queue - proxy's receive queue)"
  echo "- alive: the process is still up after the flood and a fresh connection then gets 200 (nginx: no worker died either)"
  echo "- backend: nginx, 1 worker; \`/health\` answers \"ok\\n\", \`/8k\` a static 8192-byte file"
  echo "- nginx proxy: as bench/run.sh (worker_processes auto, upstream keepalive 32, proxy_buffering off, default send_timeout 60s); HAProxy: as bench/run.sh (nbthread $NCPU, timeout client/server 60s, http-reuse always${HAPROXY_LIMITS:+, no strict-limits}); Turnout: two pools on the one backend, default limits (idleTimeout 60s), started by \`bin/turnout\` with bin/jvm.options${TURNOUT_JAVA_OPTS:+ and \`$TURNOUT_JAVA_OPTS\`}"
  echo "- raw outputs (per-run JSON with every RSS sample, ss at the flood's end), configs and logs: \`$RUN_DIR\`"
  for variant in $VARIANTS; do
    echo
    if [[ $variant == health ]]; then
      echo "## Variant 1: four flooders on /health"
    else
      echo "## Variant 2: three flooders on /health, one on /8k"
    fi
    echo
    echo "| proxy | RSS before MB | RSS max during MB | MB sent per flooder | alive | 5th client ok/failed | 5th client max ms |"
    echo "|---|---:|---:|---|---|---:|---:|"
    for name in $PROXIES; do row "$variant" "$name"; done
    echo
    for name in $PROXIES; do details "$variant" "$name"; done
  done
} >"$REPORT"

cat "$REPORT"
if [[ $KEEP_RESULT == 1 ]]; then
  mkdir -p "$REPO/bench/results"
  cp "$REPORT" "$REPO/bench/results/$NOW-flood.md"
  log "report written to bench/results/$NOW-flood.md"
fi
