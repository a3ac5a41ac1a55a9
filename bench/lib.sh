# Shared by bench/run.sh and bench/flood.sh: process bookkeeping, cleanup on exit, and starting
# nginx, and the machine facts of a report. Sourced after the script has defined log, die, RUN_DIR
# (once known), NGINX_BIN and NGINX_USER; the script installs the trap: trap cleanup EXIT.

PIDS=()          # every long-running process the script started (backends, proxies, load)
declare -A NAME_OF=()
NGINX_PIDFILES=()

track() { PIDS+=("$1"); NAME_OF[$1]=$2; }

stop_pid() {  # pid name: TERM, wait up to 10 s, then KILL; children left behind are killed too
  local pid=$1 name=${2:-process} i children c
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  children=$(pgrep -P "$pid" 2>/dev/null || true)
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not stop on TERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for c in $children; do
    kill -0 "$c" 2>/dev/null || continue
    sleep 0.5
    kill -0 "$c" 2>/dev/null && { log "killing leftover child $c of $name"; kill -KILL "$c" 2>/dev/null || true; }
  done
  return 0
}

cleanup() {
  local rc=$? pid pidfile i
  trap - EXIT INT TERM
  set +e
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    stop_pid "$pid" "${NAME_OF[$pid]:-process}"
  done
  # nginx masters by their pid files, in case one outlived the tracked pid
  for pidfile in "${NGINX_PIDFILES[@]}"; do
    [[ -s $pidfile ]] || continue
    pid=$(cat "$pidfile" 2>/dev/null)
    [[ $pid =~ ^[0-9]+$ ]] && stop_pid "$pid" "nginx master"
  done
  [[ -n ${RUN_DIR:-} ]] && log "stopped everything; raw outputs and logs are in $RUN_DIR"
  exit "$rc"
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

nginx_preamble() { # dir worker_processes
  cat <<EOF
daemon off;
user $NGINX_USER;
worker_processes $2;
worker_rlimit_nofile 40000;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path $1/tmp/client_body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
EOF
}

start_nginx() { # name dir conf -> pid in $STARTED_PID, its start time ($EPOCHREALTIME) in STARTED_AT
  local name=$1 dir=$2 conf=$3
  "$NGINX_BIN" -t -q -p "$dir" -e "$dir/error.log" -c "$conf" 2>"$dir/configtest.log" ||
    die "nginx $name: config test failed: $(cat "$dir/configtest.log")"
  STARTED_AT=$EPOCHREALTIME
  "$NGINX_BIN" -p "$dir" -e "$dir/error.log" -c "$conf" >"$dir/stdout.log" 2>&1 &
  STARTED_PID=$!
  track "$STARTED_PID" "nginx $name"
  NGINX_PIDFILES+=("$dir/nginx.pid")
}

wait_http() { # name url pid ; polls up to 60 s for a 200 while pid is alive (https: any certificate)
  local name=$1 url=$2 pid=$3 want=200 i code
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) exited during start-up; see the logs in $RUN_DIR"
    code=$(curl -sk -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null || true)
    [[ $code == "$want" ]] && { log "$name answers ($url -> $code)"; return 0; }
    sleep 0.1
  done
  die "$name did not answer $want at $url within 60 s (last: ${code:-none}); see $RUN_DIR"
}

machine_facts() { # sets JAVA_VERSION NGINX_VERSION HAPROXY_VERSION CPU_MODEL MEM_TOTAL GIT_REV
  # TURNOUT_LINE for a report; reads HAPROXY_BIN, REPO, JAR, TURNOUT_JAR and SKIP_BUILD.
  # sed -n 1p, not head -1: head exits after one line, the writer of the rest dies of SIGPIPE, and
  # pipefail with set -e turns that into the end of the script.
  JAVA_VERSION=$(java -version 2>&1 | sed -n 1p)
  NGINX_VERSION=$("$NGINX_BIN" -v 2>&1 | sed -n 1p | sed 's/^nginx version: //')
  HAPROXY_VERSION=$("$HAPROXY_BIN" -v 2>&1 | sed -n 1p | sed 's/^HA-\?Proxy version //I; s/ - https.*//')
  CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  GIT_REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
  git -C "$REPO" diff --quiet HEAD -- src pom.xml 2>/dev/null || GIT_REV+=" (with uncommitted changes in src/ or pom.xml)"
  if [[ -n ${TURNOUT_JAR:-} ]]; then
    TURNOUT_LINE="jar \`$JAR\` (given as TURNOUT_JAR) built $(date -r "$JAR" '+%Y-%m-%d %H:%M'); repository HEAD $GIT_REV"
  else
    TURNOUT_LINE="commit $GIT_REV, jar \`target/turnout.jar\` built $(date -r "$JAR" '+%Y-%m-%d %H:%M' 2>/dev/null || echo '?')$([[ $SKIP_BUILD == 1 ]] && echo ' (SKIP_BUILD=1: not rebuilt by this run)' || true)"
  fi
}
