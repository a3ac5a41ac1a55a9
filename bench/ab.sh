#!/usr/bin/env bash
# A/B of Turnout builds or JVM options by the proxy's own CPU per request, next to nginx.
#
#   bench/ab.sh "before=/tmp/old.jar|-Xmx96m" "after=target/turnout.jar|-Xmx96m"
#
# Each argument is name=jar|java options[|YAML], YAML being extra lines for that variant's proxy.yaml
# (e.g. "accessLog: { enabled: false }"). Every variant runs at once on its own port; then
# ROUNDS [3] interleaved rounds of wrk -t2 -c64 for DURATION [10s] each (after WARMUP [12s] per
# variant) print req/s, the proxy's user and system CPU in microseconds per request, read from
# /proc, and its resident memory after each run. On a shared machine req/s swings from round to
# round; CPU per request swings less, which is why this script exists: it tells whether a change
# makes the proxy cheaper. bench/run.sh
# gives the headline numbers. Binds 127.0.0.1: backend 18101, nginx 18102, variants 18110 and up
# (PORT_BASE [18100] moves them all, for two runs side by side). UPSTREAM [{ keepalive: {
# maxIdlePerBackend: 512 } }] is the variants' upstream section: UPSTREAM='{ keepalive: {
# maxIdlePerBackend: 0 } }' makes every request open and close a backend connection.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-12s}
PORT_BASE=${PORT_BASE:-18100}
UPSTREAM=${UPSTREAM:-"{ keepalive: { maxIdlePerBackend: 512 } }"}
BACKEND_PORT=$((PORT_BASE + 1))
(($# > 0)) || { sed -n '2,15p' "$0"; exit 2; }
command -v nginx >/dev/null && command -v wrk >/dev/null || { echo "ab.sh: needs nginx and wrk (apt-get install -y nginx wrk)" >&2; exit 1; }

DIR=$(mktemp -d /tmp/turnout-ab.XXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for conf in "$DIR"/nginx-*.conf; do [[ -e $conf ]] && nginx -c "$conf" -s stop 2>/dev/null || true; done
}
trap cleanup EXIT

nginx_conf() { # name workers server-block
  cat >"$DIR/nginx-$1.conf" <<EOF
worker_processes $2;
pid $DIR/nginx-$1.pid;
error_log $DIR/nginx-$1.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  $3
}
EOF
  nginx -c "$DIR/nginx-$1.conf"
}
nginx_conf backend 1 'server { listen 127.0.0.1:'"$BACKEND_PORT"'; location = /health { return 200 "ok\n"; }
    location / { default_type text/plain; return 200 "'"$(printf 'b%.0s' {1..99})"'\n"; } }'
nginx_conf proxy auto 'upstream be { server 127.0.0.1:'"$BACKEND_PORT"'; keepalive 32; }
  server { listen 127.0.0.1:'"$((PORT_BASE + 2))"'; location / { proxy_pass http://be; proxy_http_version 1.1;
    proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;
    proxy_buffering off; } }'
sleep 1

declare -A PID_OF PORT_OF
PORT_OF[nginx]=$((PORT_BASE + 2))
port=$((PORT_BASE + 10))
for spec in "$@"; do
  name=${spec%%=*}; rest=${spec#*=}; jar=${rest%%|*}; opts=${rest#*|}; [[ $rest == *"|"* ]] || opts=""
  yaml=""; if [[ $opts == *"|"* ]]; then yaml=${opts#*|}; opts=${opts%%|*}; fi
  cat >"$DIR/$name.yaml" <<EOF
listen: 127.0.0.1:$port
admin: { listen: 127.0.0.1:$((port + 1000)) }
pools:
  blue: { backends: ["127.0.0.1:$BACKEND_PORT"] }
  green: { backends: ["127.0.0.1:$BACKEND_PORT"] }
state: { file: $DIR/$name-state.json }
upstream: $UPSTREAM
$yaml
EOF
  # shellcheck disable=SC2086  # opts is a list of options
  java $opts -jar "$jar" --config "$DIR/$name.yaml" >"$DIR/$name.log" 2>&1 &
  PIDS+=($!); PID_OF[$name]=$!; PORT_OF[$name]=$port
  port=$((port + 1))
done
for name in "${!PID_OF[@]}"; do
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:${PORT_OF[$name]}/" && break; sleep 0.2; done
done
PID_OF[nginx]=$(pgrep -P "$(cat "$DIR/nginx-proxy.pid")" | tr '\n' ' ')

ticks() { # pids -> "user system" clock ticks, summed
  local u=0 s=0 f
  for p in $1; do read -r -a f < <(cut -d' ' -f14,15 "/proc/$p/stat"); u=$((u + f[0])); s=$((s + f[1])); done
  echo "$u $s"
}
rss_kb() { # pids -> resident kB, summed
  local t=0 p
  for p in $1; do t=$((t + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"))); done
  echo "$t"
}
HZ=$(getconf CLK_TCK)
NAMES=$(printf '%s\n' "${!PORT_OF[@]}" | sort)
for name in $NAMES; do wrk -t2 -c64 -d"$WARMUP" "http://127.0.0.1:${PORT_OF[$name]}/" >/dev/null; done
for r in $(seq "$ROUNDS"); do
  for name in $NAMES; do
    read -r u0 s0 < <(ticks "${PID_OF[$name]}")
    rps=$(wrk -t2 -c64 -d"$DURATION" "http://127.0.0.1:${PORT_OF[$name]}/" | awk '/^Requests\/sec:/ { print $2 }')
    read -r u1 s1 < <(ticks "${PID_OF[$name]}")
    rss=$(rss_kb "${PID_OF[$name]}")
    awk -v r="$r" -v n="$name" -v q="$rps" -v d="${DURATION%s}" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$HZ" -v m="$rss" 'BEGIN {
      k = 1e6 / hz / (q * d)
      printf "round %d  %-12s %8.0f req/s   CPU us/request: user %5.1f  system %5.1f  total %5.1f   RSS %4.0f MB\n", r, n, q, u * k, s * k, (u + s) * k, m / 1024 }'
  done
done
