#!/usr/bin/env bash
# Side-by-side benchmark: direct backend vs nginx vs HAProxy vs Turnout, all on 127.0.0.1.
#
#   sudo bench/run.sh                                  # full run (about 21 minutes with the defaults)
#   WARMUP=2s DURATION=3s ROUNDS=1 IDLE_CONNS=500 SSE_N=5 FLIPS=2 SKIP_BUILD=1 bench/run.sh   # smoke run
#   sudo bench/run.sh https                            # the HTTPS section instead (bench/https.sh)
#   WARMUP=2s DURATION=3s ROUNDS=1 H2_HOLD=5 SKIP_BUILD=1 bench/run.sh https   # its smoke run
#
# Modes: plain (the default: HTTP/1.1 at 64 and 1000 connections, 1 MiB answers, start time, the
# first 5 s of a fresh Turnout, idle connections, flips, SSE)
# and https (HTTP/2, HTTPS/1.1, new TLS connections and RSS with 1000 HTTP/2 connections against
# nginx, HAProxy and Turnout terminating TLS with one certificate; see bench/https.sh).
#
# Environment knobs (defaults in brackets):
#   WARMUP [20s]      wrk warm-up per proxy before the measured rounds (lets Turnout's JIT settle)
#   DURATION [15s]    each measured wrk run
#   ROUNDS [5]        interleaved rounds: direct, nginx, HAProxy, Turnout at 64 and 1000 connections
#                     and with 1 MiB answers (64 connections), then a fresh Turnout's first 5 s
#                     against the warm nginx
#   STARTS [3]        fresh starts of Turnout and of nginx timed (process start to the first answer)
#   FLIP_DURATION [12s]  wrk run during the 20 flips; FLIPS [20]; FLIP_INTERVAL [0.5]
#   IDLE_CONNS [10000]   idle keep-alive connections; IDLE_HOLD [5] seconds to hold them
#   SSE_N [200]       sequential SSE requests per target
#   SKIP_BUILD [0]    1: use the existing target/turnout.jar
#   TURNOUT_JAR [target/turnout.jar]  another jar to benchmark (implies no build); bin/turnout runs it
#   SKIP_INSTALL [0]  1: never call apt-get
#   TURNOUT_JAVA_OPTS [unset]  Turnout runs as the README runs it: bin/turnout with bin/jvm.options.
#                     Set this only to try extra JVM options; the launcher adds them after the
#                     file's (the JVM takes the last of a repeated option) and the report says so.
#   KEEP_RESULT [1]   0: do not write bench/results/*.md (report on stdout only)
# https mode only:
#   H2_CONNS [1000]   HTTP/2 connections held open (h2load --rps=1) while RSS is read; H2_HOLD [15] seconds
#   TLS_PROCS [8]     client processes of bench/tls_connect.py (new TLS connections per second)
#
# Needs root (apt-get, ulimit -n 65536). Binds only to 127.0.0.1: backends 18001/18002,
# nginx 18081, HAProxy 18082, Turnout 18083 (admin 19083), fresh proxies timed from their start
# 18084 (Turnout's admin 19084); https mode: backends 18401/18402,
# nginx 18451 (redirect 18481), HAProxy 18452, Turnout 18453 (redirect 18483, admin 19483).
# Everything it starts is stopped on exit.
set -euo pipefail

WARMUP=${WARMUP:-20s}
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-5}
FLIP_DURATION=${FLIP_DURATION:-12s}
FLIPS=${FLIPS:-20}
FLIP_INTERVAL=${FLIP_INTERVAL:-0.5}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_HOLD=${IDLE_HOLD:-5}
SSE_N=${SSE_N:-200}
SKIP_BUILD=${SKIP_BUILD:-0}
SKIP_INSTALL=${SKIP_INSTALL:-0}
KEEP_RESULT=${KEEP_RESULT:-1}
STARTS=${STARTS:-3}
H2_CONNS=${H2_CONNS:-1000}
H2_HOLD=${H2_HOLD:-15}
TLS_PROCS=${TLS_PROCS:-8}
MODE=${1:-plain}

HOST=127.0.0.1
PORT_BLUE=18001
PORT_GREEN=18002
PORT_NGINX=18081
PORT_HAPROXY=18082
PORT_TURNOUT=18083
PORT_ADMIN=19083
PORT_FRESH=18084         # a fresh nginx or Turnout, one at a time, timed from its start
PORT_ADMIN_FRESH=19084
if [[ ${1:-plain} == https ]]; then  # ports of its own, so that it can run beside a plain run
  PORT_BLUE=18401 PORT_GREEN=18402 PORT_NGINX=18481 PORT_HAPROXY=18482 PORT_TURNOUT=18483 PORT_ADMIN=19483
  PORT_FRESH=18484 PORT_ADMIN_FRESH=19484
fi
PORT_NGINX_TLS=18451     # https mode: nginx's and Turnout's plain ports only redirect to these
PORT_HAPROXY_TLS=18452
PORT_TURNOUT_TLS=18453
BENCH_TMP=/tmp/turnout-bench

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$REPO"
[[ -f pom.xml ]] || die "cannot find the repository root (no pom.xml in $REPO)"

[[ $MODE =~ ^(plain|https)$ ]] || die "unknown mode '$MODE' (plain or https)"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a whole number >= 1 (got '$ROUNDS')"
for v in H2_CONNS H2_HOLD TLS_PROCS STARTS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a whole number >= 1 (got '${!v}')"
done
for v in WARMUP DURATION FLIP_DURATION; do
  [[ ${!v} =~ ^[0-9]+[smh]?$ ]] || die "$v must look like 15s, 2m or 30 (got '${!v}')"
done

# ---------------------------------------------------------------------------------------------
# Process bookkeeping, cleanup and nginx start-up: bench/lib.sh
# ---------------------------------------------------------------------------------------------
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages with apt-get and raises ulimit -n)"

NEED=(nginx haproxy wrk curl python3)         # commands, and the packages that bring them
PACKAGES=(nginx haproxy wrk curl python3)
[[ $MODE == https ]] && NEED+=(h2load openssl ss) PACKAGES+=(nghttp2-client openssl iproute2)
missing=()
for c in "${NEED[@]}"; do
  command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if ((${#missing[@]})); then
  [[ $SKIP_INSTALL == 1 ]] && die "missing: ${missing[*]} (and SKIP_INSTALL=1)"
  command -v apt-get >/dev/null 2>&1 || die "missing: ${missing[*]}, and no apt-get to install them"
  log "installing ${PACKAGES[*]} (missing: ${missing[*]})"
  # Keep the packages' init scripts from starting system nginx/haproxy on port 80
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_rc=0
  { apt-get update -q && apt-get install -y -q "${PACKAGES[@]}"; } >&2 || apt_rc=$?
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
  ((apt_rc == 0)) || die "apt-get failed (exit $apt_rc)"
  for c in "${NEED[@]}"; do
    command -v "$c" >/dev/null 2>&1 || die "$c is still missing after apt-get install"
  done
fi
command -v java >/dev/null 2>&1 || die "java not found (JDK 17 is needed)"
NGINX_BIN=$(command -v nginx)
HAPROXY_BIN=$(command -v haproxy)

if [[ $SKIP_BUILD != 1 && -z ${TURNOUT_JAR:-} ]]; then
  command -v mvn >/dev/null 2>&1 || die "mvn not found (or set SKIP_BUILD=1 with an existing target/turnout.jar)"
  log "building Turnout: mvn -B -q -DskipTests package"
  mvn -B -q -DskipTests package >&2 || die "the Maven build failed"
fi
JAR=${TURNOUT_JAR:-$REPO/target/turnout.jar}
[[ -f $JAR ]] || die "$JAR not found (build with: mvn -B -q -DskipTests package)"
JAR=$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")
# bin/turnout runs $TURNOUT_JAR when set, else target/turnout.jar: hand it the absolute path
if [[ -n ${TURNOUT_JAR:-} ]]; then export TURNOUT_JAR=$JAR; fi
if [[ -z ${TURNOUT_JAR:-} && -n $(find src/main pom.xml -newer "$JAR" 2>/dev/null | head -1) ]]; then
  log "WARNING: sources are newer than $JAR (SKIP_BUILD=1?); the benchmark may run an old build"
fi

NOFILE_NOTE=""
if ! ulimit -n 65536 2>/dev/null; then
  if ulimit -Hn 65536 2>/dev/null; then ulimit -n 65536 2>/dev/null || true; fi
fi
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt 65536 ]]; then
  hard=$(ulimit -Hn)
  if [[ $hard == unlimited ]] || ((hard > $(ulimit -n))); then ulimit -n "$hard" 2>/dev/null || true; fi
  NOFILE_NOTE="ulimit -n could not be raised to 65536 (hard limit $(ulimit -Hn), no CAP_SYS_RESOURCE?); ran with $(ulimit -n)"
  log "WARNING: $NOFILE_NOTE"
  (($(ulimit -n) >= IDLE_CONNS + 1024)) ||
    die "ulimit -n is $(ulimit -n): too low for $IDLE_CONNS idle connections (set IDLE_CONNS lower or raise the hard limit)"
fi
log "ulimit -n $(ulimit -n)"

PORTS=("$PORT_BLUE" "$PORT_GREEN" "$PORT_NGINX" "$PORT_HAPROXY" "$PORT_TURNOUT" "$PORT_ADMIN" "$PORT_FRESH" "$PORT_ADMIN_FRESH")
[[ $MODE == https ]] && PORTS+=("$PORT_NGINX_TLS" "$PORT_HAPROXY_TLS" "$PORT_TURNOUT_TLS")
for p in "${PORTS[@]}"; do
  port_in_use "$p" && die "port $HOST:$p is already in use (a leftover run? check: ss -ltnp 'sport = :$p')"
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$BENCH_TMP"
RUN_DIR=$(mktemp -d "$BENCH_TMP/run-$(date +%Y%m%d-%H%M%S)-XXXX")
RAW=$RUN_DIR/raw
mkdir -p "$RAW"
chmod 755 "$BENCH_TMP" "$RUN_DIR"
log "run directory: $RUN_DIR"

# ---------------------------------------------------------------------------------------------
# Configs and start-up
# ---------------------------------------------------------------------------------------------
NGINX_USER=root
id www-data >/dev/null 2>&1 && NGINX_USER=www-data

# 100-byte answers, blue and green differ in exactly one character
make_body() { # letter -> 99 characters; nginx adds nothing, the "\n" escape makes the 100th byte
  local s="turnout-bench backend $1 "
  while ((${#s} < 99)); do s+="."; done
  printf '%s' "$s"
}
BODY_BLUE=$(make_body B)
BODY_GREEN=$(make_body G)
# The large answer: a 1 MiB file both backends serve at /1m
LARGE_BYTES=1048576
mkdir -p "$RUN_DIR/www"
head -c "$LARGE_BYTES" /dev/urandom >"$RUN_DIR/www/1m"
chmod 755 "$RUN_DIR/www"; chmod 644 "$RUN_DIR/www/1m"

# The part every nginx of the bench shares, up to the opening of its http block.
start_backend() { # name port body
  local name=$1 port=$2 body=$3 dir
  dir=$(mktemp -d "$RUN_DIR/$name.XXXX")
  chmod 755 "$dir"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
# backend "$name": static answers, one worker
$(nginx_preamble "$dir" 1)
    server {
        listen $HOST:$port;
        default_type text/plain;
        location / { return 200 "$body\n"; }
        location = /health { return 200 "ok\n"; }
        location = /1m { root $RUN_DIR/www; default_type application/octet-stream; sendfile on; }
        location /sse { default_type text/event-stream; return 200 "data: hello\n\n"; }
    }
}
EOF
  start_nginx "$name" "$dir" "$dir/nginx.conf"
}

log "starting backends blue ($PORT_BLUE) and green ($PORT_GREEN)"
start_backend blue $PORT_BLUE "$BODY_BLUE"; BLUE_PID=${PIDS[-1]}
start_backend green $PORT_GREEN "$BODY_GREEN"; GREEN_PID=${PIDS[-1]}
wait_http "backend blue" "http://$HOST:$PORT_BLUE/health" "$BLUE_PID"
wait_http "backend green" "http://$HOST:$PORT_GREEN/health" "$GREEN_PID"

# The proxies' configs, shared by the plain and the https mode. The https mode adds TLS to the
# same proxying: nginx's location block, HAProxy's global/defaults/backend and Turnout's pools.
new_nginx_proxy() { # server-blocks -> NGINX_DIR: a new directory with nginx.conf, upstream.conf, tmp/
  NGINX_DIR=$(mktemp -d "$RUN_DIR/nginx.XXXX")
  chmod 755 "$NGINX_DIR"
  mkdir -p "$NGINX_DIR/tmp"
  cat >"$NGINX_DIR/upstream.conf" <<EOF
upstream app {
    server $HOST:$PORT_BLUE;
    keepalive 32;
}
EOF
  cat >"$NGINX_DIR/nginx.conf" <<EOF
$(nginx_preamble "$NGINX_DIR" auto)
    include $NGINX_DIR/upstream.conf;
$1
}
EOF
}
nginx_proxy_location() { # -> the location block of every proxying nginx server
  cat <<EOF
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
EOF
}

NCPU=$(nproc)
# maxconn 20000 needs about 40,000 descriptors; HAProxy refuses to start when it cannot raise
# its limit that far (strict-limits is on by default), so relax that on a machine capped lower.
HAPROXY_LIMITS=""
[[ -n $NOFILE_NOTE ]] && HAPROXY_LIMITS="    no strict-limits   # ulimit -n is only $(ulimit -n) here"
start_haproxy() { # dir port bind-options global-lines -> HAPROXY_PID
  local dir=$1 port=$2 bind_opts=$3 global_extra=$4
  cat >"$dir/haproxy.cfg" <<EOF
global
    maxconn 20000
    nbthread $NCPU
    pidfile $dir/haproxy.pid
$HAPROXY_LIMITS
$global_extra

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
    http-reuse always
    maxconn 20000

frontend fe
    bind $HOST:$port$bind_opts
    default_backend be

backend be
    server blue $HOST:$PORT_BLUE
EOF
  "$HAPROXY_BIN" -c -q -f "$dir/haproxy.cfg" >"$dir/configtest.log" 2>&1 ||
    die "HAProxy config test failed: $(cat "$dir/configtest.log")"
  log "starting HAProxy ($port, nbthread $NCPU)"
  "$HAPROXY_BIN" -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  track "$HAPROXY_PID" haproxy
}

# Turnout runs as the README runs it: bin/turnout (bin/jvm.options, TURNOUT_JAVA_OPTS after them
# when set) with a proxy.yaml that names only what the bench must: its listeners on 127.0.0.1, the
# two pools and a state file in the run directory. Everything else is Turnout's default: the
# backends answer the default health path, /health, with 200; the idle cap of the upstream pool
# and limits.maxConnections (10000) are the defaults.
launcher_java_opts() { # -> the JVM options bin/turnout applies, read from bin/jvm.options as it reads them
  local line opts=()
  while read -r line; do
    [[ -z $line || $line == \#* ]] || opts+=("$line")
  done <"$REPO/bin/jvm.options"
  echo "${opts[*]}${TURNOUT_JAVA_OPTS:+ $TURNOUT_JAVA_OPTS}"
}

start_turnout() { # dir yaml-lines-to-append [port admin-port] -> TURNOUT_PID, STARTED_AT
  local dir=$1 extra=$2 port=${3:-$PORT_TURNOUT} admin=${4:-$PORT_ADMIN}
  cat >"$dir/proxy.yaml" <<EOF
listen: $HOST:$port
admin:
  listen: $HOST:$admin
pools:
  blue:  { backends: ["$HOST:$PORT_BLUE"] }
  green: { backends: ["$HOST:$PORT_GREEN"] }
state:
  file: $dir/turnout-state.json
$extra
EOF
  "$REPO/bin/turnout" check --config "$dir/proxy.yaml" >"$dir/check.log" 2>&1 ||
    die "turnout check failed (an old jar? rebuild without SKIP_BUILD): $(cat "$dir/check.log")"
  log "starting Turnout ($port, admin $admin): bin/turnout --config proxy.yaml${TURNOUT_JAVA_OPTS:+ with TURNOUT_JAVA_OPTS=\"$TURNOUT_JAVA_OPTS\"}"
  STARTED_AT=$EPOCHREALTIME
  "$REPO/bin/turnout" --config "$dir/proxy.yaml" >"$dir/turnout.log" 2>&1 &
  TURNOUT_PID=$!
  track "$TURNOUT_PID" turnout
}

# ---------------------------------------------------------------------------------------------
# Helpers: targets, RSS, wrk parsing
# ---------------------------------------------------------------------------------------------
TARGETS=(direct nginx haproxy turnout)
declare -A PORT_OF=([direct]=$PORT_BLUE [nginx]=$PORT_NGINX [haproxy]=$PORT_HAPROXY [turnout]=$PORT_TURNOUT)
declare -A LABEL_OF=([direct]="direct" [nginx]="nginx" [haproxy]="HAProxy" [turnout]="Turnout")

target_pids() { # target -> pids of all its processes, comma-separated
  local master
  case $1 in
    direct) master=$BLUE_PID ;;
    nginx) master=$NGINX_PID ;;
    haproxy) echo "$HAPROXY_PID"; return ;;
    turnout) echo "$TURNOUT_PID"; return ;;
  esac
  { echo "$master"; pgrep -P "$master" || true; } | paste -sd, -
}

rss_mb() { # target -> summed VmRSS in MB
  local pid total=0 kb
  for pid in $(target_pids "$1" | tr , ' '); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    total=$((total + ${kb:-0}))
  done
  awk -v k="$total" 'BEGIN { printf "%.0f", k / 1024 }'
}

parse_wrk() { # file -> "rps p50ms p99ms errors"
  awk '
    function ms(v,   n, u) {
      n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
      if (u == "us") return n / 1000
      if (u == "ms") return n
      if (u == "s") return n * 1000
      if (u == "m") return n * 60000
      if (u == "h") return n * 3600000
      return n
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Socket errors:/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { err += $5 }
    $1 == "Requests/sec:" { rps = $2 }
    END {
      if (rps == "") { print "nan nan nan nan"; exit }
      printf "%.0f %.3f %.3f %d\n", rps, p50, p99, err
    }' "$1"
}

median() { # numbers on stdin -> median
  sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

cpu_ticks() { # target -> user+system clock ticks of all its processes so far
  local pid total=0 f
  for pid in $(target_pids "$1" | tr , ' '); do
    read -r -a f < <(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null || echo "0 0")
    total=$((total + f[0] + f[1]))
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

run_wrk() { # out-file wrk-args...
  local out=$1; shift
  wrk "$@" >"$out" 2>&1 || log "wrk exited non-zero ($*); see $out"
}

wrk_mbs() { # wrk output -> its Transfer/sec in MB/s (wrk's MB: 2^20 bytes), or nan
  awk '$1 == "Transfer/sec:" {
      v = $2 + 0; u = $2; sub(/^[0-9.]+/, "", u)
      f = u == "TB" ? 1048576 : u == "GB" ? 1024 : u == "MB" ? 1 : u == "KB" ? 1 / 1024 : 1 / 1048576
      printf "%.1f\n", v * f; found = 1 }
    END { if (!found) print "nan" }' "$1"
}

add_row() { # conns target round wrk-output rss cpu -> a line of $RESULTS (and of the log)
  local rps p50 p99 err mbs
  read -r rps p50 p99 err < <(parse_wrk "$4")
  mbs=$(wrk_mbs "$4")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rps" "$p50" "$p99" "$err" "$5" "$6" "$mbs" >>"$RESULTS"
  log "  -> $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $err, RSS $5 MB, CPU $6 us/request, $mbs MB/s"
}

measure() { # conns-key target round wrk-connections path -> a line of $RESULTS
  local c=$1 t=$2 r=$3 out ticks rss reqs cpu
  out=$RAW/round$r-c$c-$t.txt
  log "round $r/$ROUNDS: ${LABEL_OF[$t]}, $c ($4 connections, GET $5), $DURATION"
  ticks=$(cpu_ticks "$t")
  run_wrk "$out" -t2 -c"$4" -d"$DURATION" --latency "http://$HOST:${PORT_OF[$t]}$5"
  ticks=$(($(cpu_ticks "$t") - ticks))
  rss=$(rss_mb "$t")
  reqs=$(awk '/requests in/ { print $1 }' "$out")
  cpu=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="${reqs:-0}" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "nan" }')
  add_row "$c" "$t" "$r" "$out" "$rss" "$cpu"
}

# Fresh proxies, timed from the start of the process to its first answer
answers_200() { # port -> true once GET / through it answers 200 (bash's /dev/tcp: no curl process per try)
  (exec 3<>"/dev/tcp/$HOST/$1" &&
    printf 'GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$HOST" >&3 &&
    read -r -t 2 status <&3 && [[ $status == "HTTP/1.1 200"* ]]) 2>/dev/null
}

fresh_start() { # turnout|nginx -> FRESH_PID, STARTUP_MS: a new proxy configured as the main one, on
  # $PORT_FRESH, from the start of its process (bin/turnout, or nginx after its config test) to its
  # first 200, polled every 10 ms
  local TURNOUT_PID NGINX_DIR STARTED_AT STARTED_PID i t0 t1 dir
  if [[ $1 == turnout ]]; then
    dir=$(mktemp -d "$RUN_DIR/turnout-fresh.XXXX")
    start_turnout "$dir" "" "$PORT_FRESH" "$PORT_ADMIN_FRESH"
    FRESH_PID=$TURNOUT_PID
  else
    new_nginx_proxy "$(nginx_proxy_server "$PORT_FRESH")"
    start_nginx fresh "$NGINX_DIR" "$NGINX_DIR/nginx.conf"
    FRESH_PID=$STARTED_PID
  fi
  t0=${STARTED_AT/[.,]/}
  for ((i = 0; i < 6000; i++)); do
    if answers_200 "$PORT_FRESH"; then
      t1=${EPOCHREALTIME/[.,]/}
      STARTUP_MS=$(((t1 - t0 + 500) / 1000))
      log "fresh $1 (pid $FRESH_PID) answered $STARTUP_MS ms after its start"
      return 0
    fi
    kill -0 "$FRESH_PID" 2>/dev/null || die "fresh $1 (pid $FRESH_PID) exited during start-up; see $RUN_DIR"
    sleep 0.01
  done
  die "fresh $1 did not answer 200 on $HOST:$PORT_FRESH within 60 s; see $RUN_DIR"
}

stop_fresh() { # stops FRESH_PID and forgets it (a pid left in PIDS could be reused by the time of the cleanup)
  local p kept=()
  stop_pid "$FRESH_PID" "fresh proxy"
  for p in "${PIDS[@]}"; do [[ $p == "$FRESH_PID" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

fmt() { awk -v v="$1" -v d="${2:-2}" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf "%.*f", d, v }'; }
sum() { awk '{ s += $1 } END { printf "%d", s }'; }
max() { sort -g | tail -1; }
col() { # conns target column(4=rps 5=p50 6=p99 7=err 8=rss 9=cpu 10=MB/s; https mode: its own layout) -> values, one per line
  awk -F'\t' -v c="$1" -v t="$2" -v k="$3" '$1 == c && $2 == t { print $k }' "$RESULTS"
}
ratio_median() { # conns numerator-target denominator-target column (10=MB/s)
  awk -F'\t' -v c="$1" -v a="$2" -v b="$3" -v k="$4" '
    $1 == c && $2 == a { x[$3] = $k }
    $1 == c && $2 == b { y[$3] = $k }
    END { for (r in x) if ((r in y) && y[r] > 0) printf "%.3f\n", x[r] / y[r] }' "$RESULTS" | median
}
per_round_ratios() { # same args -> "0.91, 0.95, 0.93" in round order
  awk -F'\t' -v c="$1" -v a="$2" -v b="$3" -v k="$4" '
    $1 == c && $2 == a { x[$3] = $k }
    $1 == c && $2 == b { y[$3] = $k }
    END { n = 0; for (r = 1; r in x; r++) if ((r in y) && y[r] > 0) { s = s (n++ ? ", " : "") sprintf("%.2f", x[r] / y[r]) } print s }' "$RESULTS"
}

report_machine() { # -> the "## Machine" section of a report (TURNOUT_DIR: the running Turnout's)
  local JAVA_VERSION NGINX_VERSION HAPROXY_VERSION WRK_VERSION CPU_MODEL MEM_TOTAL GIT_REV TURNOUT_LINE
  machine_facts
  WRK_VERSION=$(wrk -v 2>&1 | sed -n 1p | sed 's/ *Copyright.*//' || true)
  echo "## Machine"
  echo
  echo "- CPU: $(nproc) cores, ${CPU_MODEL:-unknown model}"
  echo "- RAM: $MEM_TOTAL; kernel $(uname -r)"
  echo "- Java: $JAVA_VERSION"
  echo "- nginx: $NGINX_VERSION; HAProxy: $HAPROXY_VERSION; wrk: $WRK_VERSION"
  echo "- Turnout: $TURNOUT_LINE; socket transport: $(grep -o 'listening on [^ ]* ([a-z_]*)' "$TURNOUT_DIR/turnout.log" | grep -o '([a-z_]*)' | tr -d '()' || echo unknown)"
  echo "- load average at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the numbers)"
}

if [[ $MODE == https ]]; then
  # shellcheck source=https.sh
  source "$SCRIPT_DIR/https.sh"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Plain mode: the proxies over HTTP/1.1
# ---------------------------------------------------------------------------------------------
# nginx as the proxy: the classic blue/green setup with an upstream include (the flips edit it)
nginx_proxy_server() { # port -> the server block of the plain mode's nginx proxy
  printf '    server {\n        listen %s:%s;\n%s\n    }' "$HOST" "$1" "$(nginx_proxy_location)"
}
new_nginx_proxy "$(nginx_proxy_server "$PORT_NGINX")"
log "starting nginx proxy ($PORT_NGINX)"
start_nginx proxy "$NGINX_DIR" "$NGINX_DIR/nginx.conf"
NGINX_PID=${PIDS[-1]}

HAPROXY_DIR=$(mktemp -d "$RUN_DIR/haproxy.XXXX")
start_haproxy "$HAPROXY_DIR" "$PORT_HAPROXY" "" ""

TURNOUT_DIR=$(mktemp -d "$RUN_DIR/turnout.XXXX")
start_turnout "$TURNOUT_DIR" ""

wait_http nginx "http://$HOST:$PORT_NGINX/" "$NGINX_PID"
wait_http HAProxy "http://$HOST:$PORT_HAPROXY/" "$HAPROXY_PID"
wait_http Turnout "http://$HOST:$PORT_TURNOUT/" "$TURNOUT_PID"
wait_http "Turnout admin" "http://$HOST:$PORT_ADMIN/admin/status" "$TURNOUT_PID"

# ---------------------------------------------------------------------------------------------
# Sanity: every proxy passes the backend's answer through unchanged
# ---------------------------------------------------------------------------------------------
SANITY=()
for t in "${TARGETS[@]}"; do
  body=$(curl -s -m 5 "http://$HOST:${PORT_OF[$t]}/" || true)
  headers=$(curl -s -m 5 -o /dev/null -D - "http://$HOST:${PORT_OF[$t]}/" | tr -d '\r' || true)
  cl=$(awk -F': ' 'tolower($1) == "content-length" { print $2 }' <<<"$headers")
  te=$(awk -F': ' 'tolower($1) == "transfer-encoding" { print $2 }' <<<"$headers")
  ok=yes; [[ $body == "$BODY_BLUE" ]] || ok=no
  large=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{size_download}' "http://$HOST:${PORT_OF[$t]}/1m" || true)
  [[ $large == "200 $LARGE_BYTES" ]] || log "WARNING: ${LABEL_OF[$t]} answered /1m with '$large' (status, bytes), not 200 $LARGE_BYTES"
  SANITY+=("| ${LABEL_OF[$t]} | $ok | $(( ${#body} + 1 )) | ${cl:--} | ${te:--} | ${large:--} |")
  [[ $ok == yes ]] || log "WARNING: ${LABEL_OF[$t]} answered a different body: '${body:0:120}'"
done
# the 100-byte contract of the backend itself
size=$(curl -s "http://$HOST:$PORT_BLUE/" | wc -c)
[[ $size -eq 100 ]] || die "backend blue answers $size bytes, not 100"

# ---------------------------------------------------------------------------------------------
# Start time: process start to the first answer, fresh nginx and Turnout processes taking turns
# ---------------------------------------------------------------------------------------------
declare -A START_MS=([turnout]="" [nginx]="")
for ((i = 1; i <= STARTS; i++)); do
  for t in turnout nginx; do
    fresh_start "$t"
    START_MS[$t]+="${START_MS[$t]:+ }$STARTUP_MS"
    stop_fresh
  done
done

# ---------------------------------------------------------------------------------------------
# Warm-up and interleaved rounds
# ---------------------------------------------------------------------------------------------
RESULTS=$RUN_DIR/results.tsv
: >"$RESULTS"
for t in nginx haproxy turnout; do
  log "warm-up: wrk -t2 -c64 -d$WARMUP against ${LABEL_OF[$t]}"
  run_wrk "$RAW/warmup-$t.txt" -t2 -c64 -d"$WARMUP" "http://$HOST:${PORT_OF[$t]}/"
done

FIRST_S=5   # the first seconds of a fresh Turnout, against as many of the warm nginx
declare -A FIRST_START_MS=()
for ((r = 1; r <= ROUNDS; r++)); do
  for c in 64 1000; do
    for t in "${TARGETS[@]}"; do
      measure "$c" "$t" "$r" "$c" /
    done
  done
  for t in "${TARGETS[@]}"; do
    measure large "$t" "$r" 64 /1m
  done
  # A fresh Turnout (bin/turnout, defaults) loaded the moment it answers, then the warm nginx
  fresh_start turnout
  FIRST_START_MS[$r]=$STARTUP_MS
  for t in turnout nginx; do
    if [[ $t == turnout ]]; then port=$PORT_FRESH what="the fresh Turnout"; else port=$PORT_NGINX what="the warm nginx"; fi
    out=$RAW/round$r-first${FIRST_S}s-$t.txt
    log "round $r/$ROUNDS: first ${FIRST_S} s, $what, wrk -t2 -c64 -d${FIRST_S}s"
    run_wrk "$out" -t2 -c64 -d"${FIRST_S}s" --latency "http://$HOST:$port/"
    add_row first "$t" "$r" "$out" nan nan
    if [[ $t == turnout ]]; then stop_fresh; fi
  done
done

# ---------------------------------------------------------------------------------------------
# 10,000 idle keep-alive connections
# ---------------------------------------------------------------------------------------------
IDLE_LINES=()
for t in turnout nginx; do
  log "idle connections: $IDLE_CONNS against ${LABEL_OF[$t]}, held ${IDLE_HOLD}s"
  out=$RAW/idle-$t.txt
  python3 "$SCRIPT_DIR/idle_conns.py" "$HOST" "${PORT_OF[$t]}" "$IDLE_CONNS" --hold "$IDLE_HOLD" \
    --pids "$(target_pids "$t")" >"$out" 2>&1 || log "idle_conns.py exited non-zero for $t; see $out"
  res=$(grep '^RESULT' "$out" || true)
  kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $res"; }
  IDLE_LINES+=("| ${LABEL_OF[$t]} | $(kv held) | $(kv established) | $(kv open_after_hold) | $(kv reused_200) | $(kv fresh_status) | $(kv rss_mb) | $(kv setup_s) |")
  summary=$(grep 'idle connections held' "$out" || echo "no result (see $out)")
  log "  -> $summary"
  if [[ $t == turnout ]]; then
    IDLE_SUMMARY="Turnout: $summary"
    IDLE_HELD=$(kv held) IDLE_RSS=$(kv rss_mb)
  fi
  kill -0 "$TURNOUT_PID" 2>/dev/null || die "Turnout exited during the idle-connection test; see $TURNOUT_DIR/turnout.log"
  sleep 2  # let the closed connections go
done

# ---------------------------------------------------------------------------------------------
# Flips under load
# ---------------------------------------------------------------------------------------------
body_letter() { # port -> B or G (which backend answered), or ?
  local b
  b=$(curl -s -m 2 "http://$HOST:$1/" || true)
  case $b in "$BODY_BLUE") echo B ;; "$BODY_GREEN") echo G ;; *) echo "?" ;; esac
}

log "flips under load: Turnout, $FLIPS x POST /admin/switch?wait=false, ${FLIP_INTERVAL}s apart, wrk -t2 -c64 -d$FLIP_DURATION"
out=$RAW/flip-turnout.txt
wrk -t2 -c64 -d"$FLIP_DURATION" --latency "http://$HOST:$PORT_TURNOUT/" >"$out" 2>&1 &
wrk_pid=$!; track "$wrk_pid" "wrk (flip test)"
sleep 1
T_FLIP_OK=0; T_SEEN=""
for ((i = 1; i <= FLIPS; i++)); do
  resp=$(curl -s -m 5 -X POST "http://$HOST:$PORT_ADMIN/admin/switch?wait=false" || true)
  echo "$resp" >>"$RAW/flip-turnout-admin.txt"
  [[ $resp == *'"changed":true'* ]] && T_FLIP_OK=$((T_FLIP_OK + 1))
  T_SEEN+=$(body_letter $PORT_TURNOUT)
  sleep "$FLIP_INTERVAL"
done
wait "$wrk_pid" || log "wrk (Turnout flip test) exited non-zero"
read -r T_FLIP_RPS _ T_FLIP_P99 T_FLIP_ERR < <(parse_wrk "$out")
T_FLIP_REQS=$(awk '/requests in/ { print $1 }' "$out")
T_ACTIVE=$(curl -s -m 5 "http://$HOST:$PORT_ADMIN/admin/status" | sed -n 's/^{"active":"\([^"]*\)".*/\1/p')

log "flips under load: nginx, $FLIPS x sed upstream.conf + HUP, ${FLIP_INTERVAL}s apart"
out=$RAW/flip-nginx.txt
wrk -t2 -c64 -d"$FLIP_DURATION" --latency "http://$HOST:$PORT_NGINX/" >"$out" 2>&1 &
wrk_pid=$!; track "$wrk_pid" "wrk (flip test)"
sleep 1
N_FLIP_OK=0; N_SEEN=""
for ((i = 1; i <= FLIPS; i++)); do
  if grep -q ":$PORT_BLUE;" "$NGINX_DIR/upstream.conf"; then new=$PORT_GREEN; else new=$PORT_BLUE; fi
  sed -i -E "s/$HOST:(${PORT_BLUE}|${PORT_GREEN});/$HOST:$new;/" "$NGINX_DIR/upstream.conf"
  kill -HUP "$NGINX_PID" && N_FLIP_OK=$((N_FLIP_OK + 1))
  sleep "$FLIP_INTERVAL"
  N_SEEN+=$(body_letter $PORT_NGINX)
done
wait "$wrk_pid" || log "wrk (nginx flip test) exited non-zero"
read -r N_FLIP_RPS _ N_FLIP_P99 N_FLIP_ERR < <(parse_wrk "$out")
N_FLIP_REQS=$(awk '/requests in/ { print $1 }' "$out")
N_EMERG=$(grep -c '\[emerg\]' "$NGINX_DIR/error.log" || true)

# ---------------------------------------------------------------------------------------------
# SSE time to first byte
# ---------------------------------------------------------------------------------------------
declare -A SSE_MED=() SSE_FAIL=()
for t in "${TARGETS[@]}"; do
  log "SSE time to first byte: $SSE_N sequential requests to ${LABEL_OF[$t]}"
  out=$RAW/sse-$t.txt
  : >"$out"
  for ((i = 0; i < SSE_N; i++)); do
    curl -s -o /dev/null -m 5 -w '%{time_starttransfer}\n' "http://$HOST:${PORT_OF[$t]}/sse" >>"$out" || echo "nan" >>"$out"
  done
  SSE_MED[$t]=$(grep -v nan "$out" | awk '{ printf "%.3f\n", $1 * 1000 }' | median)
  SSE_FAIL[$t]=$(grep -c nan "$out" || true)
done
sse_ct=$(curl -s -o /dev/null -D - "http://$HOST:$PORT_TURNOUT/sse" | tr -d '\r' | awk -F': ' 'tolower($1) == "content-type" { print $2 }')

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
TURNOUT_WARN=$(grep -cE ' (WARN|ERROR) ' "$TURNOUT_DIR/turnout.log" || true)
table() { # conns-key -> its table (with MB/s for the large answers)
  local c=$1 t mbs_head="" mbs_rule="" mbs=""
  [[ $c == large ]] && mbs_head=" MB/s (median) |" mbs_rule="---:|"
  echo "| Target |$mbs_head req/s (median) | p50 ms | p99 ms | errors (sum) | RSS MB (max) | CPU µs/request (median) |"
  echo "|---|$mbs_rule---:|---:|---:|---:|---:|---:|"
  for t in "${TARGETS[@]}"; do
    [[ $c == large ]] && mbs=" $(fmt "$(col "$c" "$t" 10 | median)" 1) |"
    printf '| %s |%s %s | %s | %s | %s | %s | %s |\n' "${LABEL_OF[$t]}" "$mbs" \
      "$(fmt "$(col "$c" "$t" 4 | median)" 0)" \
      "$(fmt "$(col "$c" "$t" 5 | median)" 3)" \
      "$(fmt "$(col "$c" "$t" 6 | median)" 3)" \
      "$(col "$c" "$t" 7 | sum)" \
      "$(col "$c" "$t" 8 | max)" \
      "$(fmt "$(col "$c" "$t" 9 | median)" 1)"
  done
}
ratio_line() { # text conns-key target-a target-b column [note]
  echo "- $1: **$(fmt "$(ratio_median "$2" "$3" "$4" "$5")")** (per round: $(per_round_ratios "$2" "$3" "$4" "$5")${6:+; $6})"
}
ratios() { # conns-key
  local c=$1
  if [[ $c == large ]]; then
    ratio_line "Turnout/nginx MB/s" "$c" turnout nginx 10
    ratio_line "Turnout/HAProxy MB/s" "$c" turnout haproxy 10
  else
    ratio_line "Turnout/nginx req/s" "$c" turnout nginx 4
    ratio_line "Turnout/HAProxy req/s" "$c" turnout haproxy 4
  fi
  ratio_line "Turnout/nginx p99" "$c" turnout nginx 6 "below 1 is better"
  ratio_line "Turnout/nginx CPU per request" "$c" turnout nginx 9 "below 1 is cheaper"
}

# Targets of issue 13 §4, judged on this run's medians
verdict() { # value op(>= or <=) limit -> met, **not met** or not measured
  awk -v v="$1" -v o="$2" -v l="$3" 'BEGIN {
    if (v == "nan" || v == "") print "not measured"
    else if ((o == ">=" && v + 0 >= l + 0) || (o == "<=" && v + 0 <= l + 0)) print "met"
    else print "**not met**" }'
}
ratio_target() { # text conns-key target-b column op limit -> a row of the Targets table: Turnout/target-b
  local v
  v=$(ratio_median "$2" turnout "$3" "$4")
  echo "| $1 | $(fmt "$v") × ${LABEL_OF[$3]} (rounds: $(per_round_ratios "$2" turnout "$3" "$4")) | $(verdict "$v" "$5" "$6") |"
}
idle_target() { # -> the Targets row of the idle connections
  local held="held ${IDLE_HELD:-?}, RSS ${IDLE_RSS:-?} MB"
  if ((IDLE_CONNS < 10000)); then
    echo "| 10,000 idle keep-alive connections, RSS at most 256 MB | $IDLE_CONNS connections only (IDLE_CONNS): $held | not measured |"
  elif [[ ${IDLE_HELD:-} != yes ]]; then
    echo "| 10,000 idle keep-alive connections, RSS at most 256 MB | $IDLE_CONNS connections: $held | **not met** |"
  else
    echo "| 10,000 idle keep-alive connections, RSS at most 256 MB | $IDLE_CONNS connections: $held | $(verdict "$IDLE_RSS" "<=" 256) |"
  fi
}
targets() { # -> the Targets section's table
  local err rss
  err=$(col 1000 turnout 7 | sum) rss=$(col 1000 turnout 8 | max)
  echo "| Target | Measured | |"
  echo "|---|---|---|"
  ratio_target "64 connections: req/s at least 1.1 × nginx" 64 nginx 4 ">=" 1.1
  ratio_target "64 connections: req/s at least 1.05 × HAProxy" 64 haproxy 4 ">=" 1.05
  ratio_target "64 connections: p99 no worse than nginx's" 64 nginx 6 "<=" 1
  ratio_target "1,000 connections: req/s at least 1.3 × nginx" 1000 nginx 4 ">=" 1.3
  ratio_target "1,000 connections: req/s at least 1.1 × HAProxy" 1000 haproxy 4 ">=" 1.1
  echo "| 1,000 connections: 0 errors | $err (sum of the rounds) | $(verdict "$err" "<=" 0) |"
  echo "| 1,000 connections: RSS at most 256 MB | $rss MB (largest of the rounds) | $(verdict "$rss" "<=" 256) |"
  idle_target
  ratio_target "First ${FIRST_S} s after start: req/s at least 0.9 × warm nginx" first nginx 4 ">=" 0.9
  ratio_target "Large answers (1 MiB, 64 connections): MB/s at least nginx's" large nginx 10 ">=" 1
  ratio_target "64 connections: CPU µs per request at most 0.8 × nginx's" 64 nginx 9 "<=" 0.8
  echo "| Start time (no target): process start to the first answer | Turnout $(fmt "$(start_median turnout)" 0) ms, nginx $(fmt "$(start_median nginx)" 0) ms (medians of $STARTS starts) | |"
}
start_median() { tr ' ' '\n' <<<"${START_MS[$1]}" | median; }

NOW=$(date +%Y-%m-%d-%H%M)

REPORT=$RUN_DIR/report.md
KEPT_AS=""
[[ $KEEP_RESULT == 1 ]] && KEPT_AS=" (\`bench/results/$NOW.md\`)"
{
  echo "# Turnout benchmark, $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  echo "## Targets (issue 13 §4)"
  echo
  echo "Measured by this run$KEPT_AS, Turnout as the README runs it (\`bin/turnout --config proxy.yaml\`, defaults); each ratio is Turnout's over the other's, the median of the per-round ratios of $ROUNDS interleaved round(s)."
  echo
  targets
  echo
  report_machine
  echo
  echo "## Settings"
  echo
  echo "- warm-up ${WARMUP} per proxy (wrk -t2 -c64), then $ROUNDS interleaved round(s) of direct, nginx, HAProxy, Turnout, wrk -t2 --latency for $DURATION each at 64 and at 1000 connections and with 1 MiB answers at 64 connections, then a fresh Turnout's first ${FIRST_S} s against the warm nginx"
  echo "- backend: nginx, 1 worker, 100-byte answer (1 MiB at /1m, a file sent with sendfile); all on 127.0.0.1, wrk on the same $(nproc) cores"
  echo "- Turnout: \`bin/turnout --config proxy.yaml\`, as the README runs it; JVM options the launcher applied (bin/jvm.options${TURNOUT_JAVA_OPTS:+, then **TURNOUT_JAVA_OPTS**}): \`$(launcher_java_opts)\`; proxy.yaml names only its listeners, the two pools and a state file, everything else is the default (upstream idle connections, limits.maxConnections 10000, health.path /health; the access log on, JSON lines to standard output, which the bench writes to turnout.log, where nginx's and HAProxy's are off)"
  echo "- nginx proxy: worker_processes auto, upstream keepalive 32; HAProxy: nbthread $NCPU, http-reuse always${HAPROXY_LIMITS:+, no strict-limits (ulimit)}"
  echo "- open files: ulimit -n $(ulimit -n)${NOFILE_NOTE:+ (**$NOFILE_NOTE**)}"
  echo "- RSS: summed VmRSS of all the proxy's processes, read right after each wrk run"
  echo "- CPU µs/request: user + system CPU time of all the proxy's processes (for direct: the backend's) during a wrk run, divided by the requests wrk completed; it varies less from round to round than req/s, which other work on the machine moves"
  echo "- raw wrk outputs, configs and logs: \`$RUN_DIR\`"
  echo
  echo "## 64 connections"
  echo
  table 64
  echo
  ratios 64
  echo
  echo "## 1000 connections"
  echo
  table 1000
  echo
  ratios 1000
  echo
  echo "## Large answers (1 MiB bodies, 64 connections)"
  echo
  echo "GET /1m, wrk -t2 -c64 --latency for $DURATION per target in each round; MB/s is wrk's Transfer/sec (1 MB = 2^20 bytes)."
  echo
  table large
  echo
  ratios large
  echo
  echo "## Start time (process start to the first answer)"
  echo
  echo "$STARTS fresh processes each, taking turns, configured as the main ones on port $PORT_FRESH while the main proxies idle: Turnout started with \`bin/turnout --config proxy.yaml\`, nginx (master and worker_processes auto) right after its config test. Timed from just before the process starts to the first 200 to GET / through it, polled every 10 ms (bash's /dev/tcp, no process per try)."
  echo
  echo "| Proxy | median ms | each start, ms |"
  echo "|---|---:|---|"
  for t in turnout nginx; do
    echo "| ${LABEL_OF[$t]} | $(fmt "$(start_median "$t")" 0) | ${START_MS[$t]// /, } |"
  done
  echo
  echo "## First ${FIRST_S} s after start (64 connections)"
  echo
  echo "In each round a fresh Turnout (\`bin/turnout\`, the main config on port $PORT_FRESH) gets wrk -t2 -c64 -d${FIRST_S}s the moment it first answers 200; then the warm nginx of the main rows gets the same."
  echo
  echo "| Round | Turnout start ms | fresh Turnout req/s | p99 ms | errors | warm nginx req/s | p99 ms | Turnout/nginx |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
  for ((r = 1; r <= ROUNDS; r++)); do
    awk -F'\t' -v r="$r" -v ms="${FIRST_START_MS[$r]:-?}" '
      $1 == "first" && $3 == r { rps[$2] = $4; p99[$2] = $6; err[$2] = $7 }
      END { q = "n/a"; if (rps["nginx"] > 0) q = sprintf("%.2f", rps["turnout"] / rps["nginx"])
            printf "| %d | %s | %.0f | %.3f | %d | %.0f | %.3f | %s |\n", r, ms, rps["turnout"], p99["turnout"], err["turnout"],
              rps["nginx"], p99["nginx"], q }' "$RESULTS"
  done
  echo
  ratio_line "Turnout (fresh)/nginx (warm) req/s" first turnout nginx 4
  echo
  echo "## $IDLE_CONNS idle keep-alive connections"
  echo
  echo "${IDLE_SUMMARY:-Turnout: no result}"
  echo
  if ((IDLE_CONNS >= 10000)); then
    echo "Turnout runs with the default limits.maxConnections, 10000: it holds 10,000 client connections and refuses the next with 503. With $IDLE_CONNS held, its fresh request is connection $((IDLE_CONNS + 1)) and is refused by that limit, as configured; the target counts the connections held and the RSS."
    echo
  fi
  echo "| Proxy | all held | opened+answered | open after ${IDLE_HOLD}s | 2nd request 200 | fresh request | RSS MB held | setup s |"
  echo "|---|---|---:|---:|---:|---|---:|---:|"
  printf '%s\n' "${IDLE_LINES[@]}"
  echo
  echo "## Flips under load ($FLIPS flips, ${FLIP_INTERVAL}s apart, wrk -t2 -c64 -d$FLIP_DURATION)"
  echo
  echo "| | Turnout (POST /admin/switch?wait=false) | nginx (sed upstream.conf + kill -HUP master) |"
  echo "|---|---:|---:|"
  echo "| errors (socket + non-2xx/3xx) | **${T_FLIP_ERR}** | **${N_FLIP_ERR}** |"
  echo "| requests | ${T_FLIP_REQS:-n/a} | ${N_FLIP_REQS:-n/a} |"
  echo "| req/s | ${T_FLIP_RPS} | ${N_FLIP_RPS} |"
  echo "| p99 ms | $(fmt "$T_FLIP_P99" 3) | $(fmt "$N_FLIP_P99" 3) |"
  echo "| flips applied | $T_FLIP_OK of $FLIPS | $N_FLIP_OK of $FLIPS reloads signalled (${N_EMERG} config errors) |"
  echo "| answering backend after each flip (B=blue, G=green) | \`$T_SEEN\` | \`$N_SEEN\` |"
  echo
  echo "Turnout's active pool at the end: ${T_ACTIVE:-unknown}."
  echo
  echo "## SSE time to first byte ($SSE_N sequential new connections per target, median)"
  echo
  echo "| Target | TTFB ms | vs direct ms | failed |"
  echo "|---|---:|---:|---:|"
  for t in "${TARGETS[@]}"; do
    d=$(awk -v a="${SSE_MED[$t]}" -v b="${SSE_MED[direct]}" 'BEGIN { if (a == "nan" || b == "nan") print "n/a"; else printf "%+.3f", a - b }')
    echo "| ${LABEL_OF[$t]} | $(fmt "${SSE_MED[$t]}" 3) | $d | ${SSE_FAIL[$t]:-0} |"
  done
  echo
  echo "Turnout's Content-Type for /sse: \`${sse_ct:-none}\`."
  echo
  echo "## Checks"
  echo
  echo "| Target | body as the backend's | size | Content-Length | Transfer-Encoding | /1m: status, bytes |"
  echo "|---|---|---:|---:|---|---|"
  printf '%s\n' "${SANITY[@]}"
  echo
  echo "Turnout log: $TURNOUT_WARN WARN/ERROR lines (\`$TURNOUT_DIR/turnout.log\`)."
} >"$REPORT"

cat "$REPORT"
if [[ $KEEP_RESULT == 1 ]]; then
  mkdir -p "$REPO/bench/results"
  cp "$REPORT" "$REPO/bench/results/$NOW.md"
  log "report written to bench/results/$NOW.md"
fi
