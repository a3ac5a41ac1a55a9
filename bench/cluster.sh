#!/usr/bin/env bash
# Cluster convergence (issue 15): one etcd and 3 Turnout replicas (bin/turnout, cluster mode) on
# loopback, pools on a 1-worker nginx; FLIPS [50] switches through replica 1, one after another
# (each waits for every replica's drain), then from each replica's log the time from the flip's
# commit (stamped just before the compare-and-set) to that replica serving the new pool. Prints the
# median, p99 and max per replica, over all, and per flip for the last replica to serve it. Needs
# etcd (Debian etcd-server), nginx and curl.
#
#   bench/cluster.sh            # FLIPS=50; SKIP_BUILD=1 uses the existing target/turnout.jar
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FLIPS=${FLIPS:-50}
BASE=${PORT_BASE:-18400}
for c in etcd nginx curl; do command -v "$c" >/dev/null || { echo "cluster.sh: needs $c" >&2; exit 1; }; done
[[ ${SKIP_BUILD:-0} == 1 ]] || mvn -B -q -DskipTests package >/dev/null
DIR=$(mktemp -d /tmp/turnout-cluster.XXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  nginx -c "$DIR/nginx.conf" -s stop 2>/dev/null || true
}
trap cleanup EXIT

cat >"$DIR/nginx.conf" <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx.log;
events { worker_connections 1024; }
http { access_log off;
  server { listen 127.0.0.1:$((BASE + 1)); location / { return 200 "blue\n"; } }
  server { listen 127.0.0.1:$((BASE + 2)); location / { return 200 "green\n"; } } }
CONF
nginx -c "$DIR/nginx.conf"
etcd --name bench --data-dir "$DIR/etcd" --listen-client-urls "http://127.0.0.1:$((BASE + 3))" \
  --advertise-client-urls "http://127.0.0.1:$((BASE + 3))" --listen-peer-urls "http://127.0.0.1:$((BASE + 4))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((BASE + 4))" \
  --initial-cluster "bench=http://127.0.0.1:$((BASE + 4))" >"$DIR/etcd.log" 2>&1 &
PIDS+=($!)
until curl -fs "http://127.0.0.1:$((BASE + 3))/health" | grep -q true; do sleep 0.2; done

for r in 1 2 3; do
  mkdir -p "$DIR/r$r"
  cat >"$DIR/r$r/proxy.yaml" <<CONF
listen: 127.0.0.1:$((BASE + 10 + r))
admin: { listen: 127.0.0.1:$((BASE + 20 + r)) }
pools:
  blue: { backends: ["127.0.0.1:$((BASE + 1))"] }
  green: { backends: ["127.0.0.1:$((BASE + 2))"] }
state: { file: $DIR/r$r/state.json }
accessLog: { enabled: false }
startup: { warmup: 0s }
cluster: { name: bench, replica: r$r, etcd: { endpoints: ["http://127.0.0.1:$((BASE + 3))"] } }
CONF
  bin/turnout --config "$DIR/r$r/proxy.yaml" >"$DIR/r$r/turnout.log" 2>&1 &
  PIDS+=($!)
done
for r in 1 2 3; do
  until curl -fs -H 'Host: localhost' "http://127.0.0.1:$((BASE + 20 + r))/admin/cluster" 2>/dev/null | grep -q '"r3"'; do sleep 0.2; done
done

for _ in $(seq "$FLIPS"); do
  curl -fs -X POST -H 'Host: localhost' "http://127.0.0.1:$((BASE + 21))/admin/switch" >/dev/null
done

echo "Convergence of $FLIPS flips committed through r1: ms from the commit to the replica serving the new pool"
printf '%-8s %6s %8s %8s %8s\n' replica flips median p99 max
for r in 1 2 3 all; do
  files=("$DIR"/r*/turnout.log); [[ $r == all ]] || files=("$DIR/r$r/turnout.log")
  grep -ho 'applied generation [0-9]* ([a-z]* active), [0-9]* ms after its commit' "${files[@]}" |
    awk '{ print $(NF-4) }' | sort -n | awk -v r="$r" '{ v[NR] = $1 } END {
      if (NR == 0) { printf "%-8s no flips applied\n", r; exit }
      p = int(NR * 0.99 + 0.999); if (p > NR) p = NR
      printf "%-8s %6d %8d %8d %8d\n", r, NR, v[int((NR + 1) / 2)], v[p], v[NR] }'
done
echo
echo "Per flip, the last of the 3 replicas to serve it (what 'all replicas serve the new pool' waits for):"
grep -ho 'applied generation [0-9]* ([a-z]* active), [0-9]* ms after its commit' "$DIR"/r*/turnout.log |
  awk '{ g = $3; ms = $(NF-4); if (ms > last[g]) last[g] = ms; n[g]++ } END { for (g in last) if (n[g] == 3) print last[g] }' |
  sort -n | awk '{ v[NR] = $1 } END { p = int(NR * 0.99 + 0.999); if (p > NR) p = NR
    printf "flips %d, median %d ms, p99 %d ms, max %d ms\n", NR, v[int((NR + 1) / 2)], v[p], v[NR] }'
