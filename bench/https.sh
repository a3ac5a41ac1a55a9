# The HTTPS section of the benchmark (issue 11 §5): `bench/run.sh https` sources this after it
# has checked the prerequisites, built Turnout and started the two backends; it is not run on its
# own. It uses run.sh's knobs (WARMUP, DURATION, ROUNDS, H2_CONNS, H2_HOLD, TLS_PROCS,
# KEEP_RESULT), its helpers (target_pids, rss_mb, cpu_ticks, parse_wrk, median, col,
# ratio_median, per_round_ratios, fmt, report_machine) and bench/lib.sh.
#
# nginx, HAProxy and Turnout terminate TLS with one certificate in front of the same backend as
# the plain section, and are measured in interleaved rounds (nginx, HAProxy, Turnout, nginx, ...):
#   h2   HTTP/2: h2load -t2 -c64 -m10 with ALPN h2 only; p50/p99 from its per-request log
#   h1   HTTPS/1.1 keep-alive: wrk -t2 -c64 --latency
#   hs   new TLS connections/s, full handshakes: bench/tls_connect.py (TLS_PROCS processes, one
#        fresh session and one `Connection: close` request per connection)
#   hsr  the same with wrk -H 'Connection: close': wrk reconnects after every answer but resumes
#        the previous TLS session when the server allows it, so this counts resumed handshakes
# then RSS with H2_CONNS HTTP/2 connections open (h2load -c H2_CONNS -m1 --rps=1 for H2_HOLD s).
# A proxy that does not negotiate h2 (Turnout until its HTTP/2 lands) gets "no h2" in those rows.
[[ -n ${RUN_DIR:-} && $MODE == https ]] || { echo "bench/https.sh: run it as bench/run.sh https" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# One certificate for all three: ECDSA P-256, certbot's default key type since 2.0. With RSA
# 2048 one private-key signature per handshake (about 1 ms of CPU) would dominate the handshake
# test and measure the crypto library more than the proxy. PKCS#8 key, as Turnout requires.
# ---------------------------------------------------------------------------------------------
[[ $DURATION =~ ^[0-9]+s?$ && $WARMUP =~ ^[0-9]+s?$ ]] || die "https mode: give WARMUP and DURATION in seconds (h2load -D)"
TLS_DIR=$RUN_DIR/tls
mkdir -p "$TLS_DIR"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:$HOST" \
  -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" >"$TLS_DIR/openssl.log" 2>&1 ||
  die "openssl could not make the certificate: $(cat "$TLS_DIR/openssl.log")"
cat "$TLS_DIR/cert.pem" "$TLS_DIR/key.pem" >"$TLS_DIR/haproxy.pem"   # HAProxy: one file
chmod 755 "$TLS_DIR"; chmod 644 "$TLS_DIR"/*.pem
CERT_LINE=$(openssl x509 -in "$TLS_DIR/cert.pem" -noout -subject -ext subjectAltName 2>/dev/null | tr '\n' ' ' | sed 's/  */ /g')

# ---------------------------------------------------------------------------------------------
# nginx as quoted in issue 11: a port-80 server that redirects, a TLS server with http2, and the
# upstream with keepalive 32 (plain ports stand in for 80 and 443)
# ---------------------------------------------------------------------------------------------
NGINX_VERSION_NUM=$("$NGINX_BIN" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
if [[ $(printf '1.25.1\n%s\n' "$NGINX_VERSION_NUM" | sort -V | sed -n 1p) == 1.25.1 ]]; then
  NGINX_LISTEN_TLS="listen $HOST:$PORT_NGINX_TLS ssl;"$'\n'"        http2 on;"   # 1.25.1+
else
  NGINX_LISTEN_TLS="listen $HOST:$PORT_NGINX_TLS ssl http2;"                    # before 1.25.1
fi
new_nginx_proxy "    server {
        listen $HOST:$PORT_NGINX;
        return 301 https://\$host:$PORT_NGINX_TLS\$request_uri;
    }
    server {
        $NGINX_LISTEN_TLS
        ssl_certificate $TLS_DIR/cert.pem;
        ssl_certificate_key $TLS_DIR/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers HIGH:!aNULL:!MD5;
$(nginx_proxy_location)
    }"
log "starting nginx proxy (https $PORT_NGINX_TLS, redirect $PORT_NGINX; nginx $NGINX_VERSION_NUM: ${NGINX_LISTEN_TLS//$'\n'/ })"
start_nginx proxy "$NGINX_DIR" "$NGINX_DIR/nginx.conf"
NGINX_PID=${PIDS[-1]}

HAPROXY_DIR=$(mktemp -d "$RUN_DIR/haproxy.XXXX")
start_haproxy "$HAPROXY_DIR" "$PORT_HAPROXY_TLS" " ssl crt $TLS_DIR/haproxy.pem alpn h2,http/1.1" \
  "    ssl-default-bind-options ssl-min-ver TLSv1.2   # nginx's ssl_protocols TLSv1.2 TLSv1.3
    ssl-default-bind-ciphers HIGH:!aNULL:!MD5"

TURNOUT_DIR=$(mktemp -d "$RUN_DIR/turnout.XXXX")
start_turnout "$TURNOUT_DIR" "tls:
  listen: $HOST:$PORT_TURNOUT_TLS
  certificates:
    - { cert: $TLS_DIR/cert.pem, key: $TLS_DIR/key.pem }
  protocols: [TLSv1.2, TLSv1.3]
  alpn: [h2, http/1.1]
  redirectHttp: true
  redirectPort: $PORT_TURNOUT_TLS
http2:
  maxConcurrentStreams: 128      # nginx's http2_max_concurrent_streams"

wait_http nginx "https://$HOST:$PORT_NGINX_TLS/" "$NGINX_PID"
wait_http HAProxy "https://$HOST:$PORT_HAPROXY_TLS/" "$HAPROXY_PID"
wait_http Turnout "https://$HOST:$PORT_TURNOUT_TLS/" "$TURNOUT_PID"

TLS_TARGETS=(nginx haproxy turnout)
declare -A TLS_PORT_OF=([nginx]=$PORT_NGINX_TLS [haproxy]=$PORT_HAPROXY_TLS [turnout]=$PORT_TURNOUT_TLS)
url_of() { echo "https://$HOST:${TLS_PORT_OF[$1]}/"; }

# ---------------------------------------------------------------------------------------------
# Checks: the backend's body over HTTPS, h2 offered or not, the redirect of the plain port
# ---------------------------------------------------------------------------------------------
declare -A H2_OK=() H2LOAD_SAYS=()
CHECKS=()
for t in "${TLS_TARGETS[@]}"; do
  body=$(curl -sk -m 5 "$(url_of "$t")" || true)
  h1=$(curl -sk -m 5 --http1.1 -o /dev/null -w '%{http_version}' "$(url_of "$t")" || true)
  h2=$(curl -sk -m 5 --http2 -o /dev/null -w '%{http_version}' "$(url_of "$t")" || true)
  [[ $h2 == 2 ]] && H2_OK[$t]=1 || H2_OK[$t]=0
  ok=yes; [[ $body == "$BODY_BLUE" ]] || ok=no
  case $t in
    nginx) redirect=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' "http://$HOST:$PORT_NGINX/x?y" || true) ;;
    turnout) redirect=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' "http://$HOST:$PORT_TURNOUT/x?y" || true) ;;
    *) redirect="not configured" ;;
  esac
  CHECKS+=("| ${LABEL_OF[$t]} | $ok | HTTP/$h1 | $([[ ${H2_OK[$t]} == 1 ]] && echo "HTTP/2" || echo "**no h2** (curl --http2 got HTTP/${h2:-?})") | \`$redirect\` |")
  [[ $ok == yes ]] || log "WARNING: ${LABEL_OF[$t]} answered a different body over HTTPS: '${body:0:120}'"
  if [[ ${H2_OK[$t]} != 1 ]]; then
    log "${LABEL_OF[$t]} does not negotiate h2 (curl --http2 got HTTP/${h2:-?}): its HTTP/2 rows say \"no h2\""
    H2LOAD_SAYS[$t]=$(timeout 10 h2load -n1 -c1 --npn-list=h2 "$(url_of "$t")" 2>&1 | grep -iE 'protocol|abort|fail|error' | sed -n 1,3p | paste -sd' ' - || true)
  fi
done

# ---------------------------------------------------------------------------------------------
# Runners: each appends "test target round rps p50 p99 errors rss cpu" to $RESULTS
# ---------------------------------------------------------------------------------------------
parse_h2load() { # output-file log-file -> "rps p50ms p99ms errors requests" (nan when not h2)
  local p50 p99
  if ! grep -q '^Application protocol: h2$' "$1"; then echo "nan nan nan nan 0"; return; fi
  read -r p50 p99 < <(cut -f3 "$2" | sort -n | awk '
    function rank(q,   i) { i = int(NR * q); if (i < NR * q) i++; return i < 1 ? 1 : i }  # nearest rank
    { a[NR] = $1 }
    END { if (NR == 0) print "nan nan"; else printf "%.3f %.3f\n", a[rank(0.50)] / 1000, a[rank(0.99)] / 1000 }')
  awk -v p50="$p50" -v p99="$p99" '
    /^finished in/ { rps = $4 }
    /^requests:/ { done = $8; err = $12 + $14 + $16 }
    /^status codes:/ { err += $5 + $7 + $9 }
    END { printf "%.0f %s %s %d %d\n", rps, p50, p99, err, done }' "$1"
}

record() { # test target round ticks rps p50 p99 errors requests
  local test=$1 t=$2 r=$3 ticks=$4 rps=$5 p50=$6 p99=$7 err=$8 n=$9 rss cpu
  rss=$(rss_mb "$t")
  cpu=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="${n:-0}" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "nan" }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$test" "$t" "$r" "$rps" "$p50" "$p99" "$err" "$rss" "$cpu" >>"$RESULTS"
  log "  -> $rps/s, p50 $p50 ms, p99 $p99 ms, errors $err, RSS $rss MB, CPU $cpu us per request"
}

run_h2() { # target round
  local t=$1 r=$2 out=$RAW/round$2-h2-$1.txt ticks rps p50 p99 err n
  if [[ ${H2_OK[$t]} != 1 ]]; then
    printf '%s\t%s\t%s\tnan\tnan\tnan\tnan\tnan\tnan\n' h2 "$t" "$r" >>"$RESULTS"
    log "round $r/$ROUNDS: ${LABEL_OF[$t]} HTTP/2: skipped, no h2"
    return
  fi
  log "round $r/$ROUNDS: ${LABEL_OF[$t]} HTTP/2, h2load -t2 -c64 -m10 -D $DURATION"
  ticks=$(cpu_ticks "$t")
  h2load -t2 -c64 -m10 -D "${DURATION%s}" --npn-list=h2 --log-file="$out.log" "$(url_of "$t")" >"$out" 2>&1 ||
    log "h2load exited non-zero; see $out"
  ticks=$(($(cpu_ticks "$t") - ticks))
  read -r rps p50 p99 err n < <(parse_h2load "$out" "$out.log")
  rm -f "$out.log"   # a line per request: large, and summed up above
  record h2 "$t" "$r" "$ticks" "$rps" "$p50" "$p99" "$err" "$n"
}

run_wrk_https() { # test target round extra-wrk-args...
  local test=$1 t=$2 r=$3 out=$RAW/round$3-$1-$2.txt ticks rps p50 p99 err n
  shift 3
  log "round $r/$ROUNDS: ${LABEL_OF[$t]} $test, wrk -t2 -c64 -d$DURATION --latency $*"
  ticks=$(cpu_ticks "$t")
  run_wrk "$out" -t2 -c64 -d"$DURATION" --latency "$@" "$(url_of "$t")"
  ticks=$(($(cpu_ticks "$t") - ticks))
  read -r rps p50 p99 err < <(parse_wrk "$out")
  n=$(awk '/requests in/ { print $1 }' "$out")
  record "$test" "$t" "$r" "$ticks" "$rps" "$p50" "$p99" "$err" "$n"
}

declare -A TLS_PROTO=()
run_handshakes() { # target round
  local t=$1 r=$2 out=$RAW/round$2-hs-$1.txt ticks res
  log "round $r/$ROUNDS: ${LABEL_OF[$t]} new TLS connections, tls_connect.py --procs $TLS_PROCS --duration ${DURATION%s}"
  ticks=$(cpu_ticks "$t")
  python3 "$SCRIPT_DIR/tls_connect.py" "$HOST" "${TLS_PORT_OF[$t]}" --duration "${DURATION%s}" --procs "$TLS_PROCS" >"$out" 2>&1 ||
    log "tls_connect.py exited non-zero; see $out"
  ticks=$(($(cpu_ticks "$t") - ticks))
  res=$(grep '^RESULT' "$out" || true)
  kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $res"; }
  TLS_PROTO[$t]=$(kv protocol | tr / ' ')
  record hs "$t" "$r" "$ticks" "$(kv rate)" "$(kv p50_ms)" "$(kv p99_ms)" "$(kv errors)" "$(kv connections)"
}

# ---------------------------------------------------------------------------------------------
# Warm-up and interleaved rounds
# ---------------------------------------------------------------------------------------------
RESULTS=$RUN_DIR/results.tsv
: >"$RESULTS"
for t in "${TLS_TARGETS[@]}"; do
  log "warm-up: wrk -t2 -c64 -d$WARMUP over https against ${LABEL_OF[$t]}"
  run_wrk "$RAW/warmup-$t.txt" -t2 -c64 -d"$WARMUP" "$(url_of "$t")"
  log "warm-up: tls_connect.py --duration ${WARMUP%s} against ${LABEL_OF[$t]} (the handshake path)"
  python3 "$SCRIPT_DIR/tls_connect.py" "$HOST" "${TLS_PORT_OF[$t]}" --duration "${WARMUP%s}" --procs "$TLS_PROCS" >"$RAW/warmup-hs-$t.txt" 2>&1 || true
  if [[ ${H2_OK[$t]} == 1 ]]; then
    log "warm-up: h2load -t2 -c64 -m10 -D $WARMUP against ${LABEL_OF[$t]}"
    h2load -t2 -c64 -m10 -D "${WARMUP%s}" --npn-list=h2 "$(url_of "$t")" >"$RAW/warmup-h2-$t.txt" 2>&1 || true
  fi
done

for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${TLS_TARGETS[@]}"; do run_h2 "$t" "$r"; done
  for t in "${TLS_TARGETS[@]}"; do run_wrk_https h1 "$t" "$r"; done
  for t in "${TLS_TARGETS[@]}"; do run_handshakes "$t" "$r"; done
  for t in "${TLS_TARGETS[@]}"; do run_wrk_https hsr "$t" "$r" -H "Connection: close"; done
done

# ---------------------------------------------------------------------------------------------
# RSS with H2_CONNS HTTP/2 connections open
# ---------------------------------------------------------------------------------------------
declare -A HOLD_LINE=() HOLD_RSS=()
for t in "${TLS_TARGETS[@]}"; do
  if [[ ${H2_OK[$t]} != 1 ]]; then
    HOLD_LINE[$t]="| ${LABEL_OF[$t]} | no h2 | | | | |"
    continue
  fi
  out=$RAW/hold-h2-$t.txt
  log "RSS: $H2_CONNS HTTP/2 connections to ${LABEL_OF[$t]} for ${H2_HOLD}s (h2load -c$H2_CONNS -m1 --rps=1)"
  rss_before=$(rss_mb "$t")
  h2load -t2 -c"$H2_CONNS" -m1 --rps=1 -D "$H2_HOLD" --npn-list=h2 "$(url_of "$t")" >"$out" 2>&1 &
  h2_pid=$!; track "$h2_pid" "h2load (hold)"
  max_rss=0 max_est=0
  for ((i = 0; i < H2_HOLD; i++)); do
    sleep 1
    kill -0 "$h2_pid" 2>/dev/null || break
    rss=$(rss_mb "$t")
    est=$(ss -Htn state established "( sport = :${TLS_PORT_OF[$t]} )" 2>/dev/null | wc -l)
    ((rss > max_rss)) && max_rss=$rss
    ((est > max_est)) && max_est=$est
  done
  wait "$h2_pid" || log "h2load (hold) exited non-zero; see $out"
  read -r _ _ _ err n < <(parse_h2load "$out" /dev/null)
  HOLD_RSS[$t]=$max_rss
  HOLD_LINE[$t]="| ${LABEL_OF[$t]} | $max_est | $rss_before | **$max_rss** | $n | $err |"
  log "  -> $max_est connections established at most, RSS $rss_before -> $max_rss MB, $n requests, $err errors"
  sleep 2  # let the closed connections go
done

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
TEST_NAMES=(h2 h1 hs hsr)
declare -A TEST_TITLE=(
  [h2]="HTTP/2: h2load -t2 -c64 -m10 (64 connections x 10 streams)"
  [h1]="HTTPS/1.1 keep-alive: wrk -t2 -c64 --latency"
  [hs]="New TLS connections, full handshakes: tls_connect.py, $TLS_PROCS processes, one request per connection"
  [hsr]="New TLS connections, resumed where the server allows: wrk -t2 -c64 -H 'Connection: close'")
declare -A RATE_UNIT=([h2]="req/s" [h1]="req/s" [hs]="connections/s" [hsr]="connections/s")

tls_table() { # test
  local test=$1 t v
  echo "| Proxy | ${RATE_UNIT[$test]} (median) | p50 ms | p99 ms | errors (sum) | RSS MB (max) | CPU µs/request (median) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for t in "${TLS_TARGETS[@]}"; do
    v=$(col "$test" "$t" 4 | median)
    if [[ $test == h2 && ${H2_OK[$t]} != 1 ]]; then
      echo "| ${LABEL_OF[$t]} | no h2 | | | | | |"
      continue
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL_OF[$t]}" "$(fmt "$v" 0)" \
      "$(fmt "$(col "$test" "$t" 5 | median)" 3)" "$(fmt "$(col "$test" "$t" 6 | median)" 3)" \
      "$(col "$test" "$t" 7 | sum)" "$(col "$test" "$t" 8 | max)" "$(fmt "$(col "$test" "$t" 9 | median)" 1)"
  done
}

target_row() { # text test other-target column want(ge|le) bound
  local text=$1 test=$2 other=$3 k=$4 want=$5 bound=$6 ratio met
  if [[ $test == h2 && ${H2_OK[turnout]} != 1 ]]; then
    echo "| $text | no h2: Turnout does not negotiate h2 yet | **not measured** |"
    return
  fi
  if [[ $test == h2 && ${H2_OK[$other]} != 1 ]]; then
    echo "| $text | ${LABEL_OF[$other]} did not negotiate h2 | **not measured** |"
    return
  fi
  ratio=$(ratio_median "$test" turnout "$other" "$k")
  met=$(awk -v x="$ratio" -v b="$bound" -v w="$want" 'BEGIN {
    if (x == "nan" || x == "") print "n/a"; else if ((w == "ge" && x >= b) || (w == "le" && x <= b)) print "yes"; else print "**no**" }')
  echo "| $text | $(fmt "$ratio") × ${LABEL_OF[$other]} (rounds: $(per_round_ratios "$test" turnout "$other" "$k")) | $met |"
}

REPORT=$RUN_DIR/report.md
NOW=$(date +%Y-%m-%d-%H%M)
{
  echo "# Turnout benchmark, HTTPS section, $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  if ((ROUNDS < 3 || ${DURATION%s} < 10)); then
    echo "**Smoke run** ($ROUNDS round(s) of $DURATION, warm-up $WARMUP): it shows that the section runs"
    echo "end to end; its numbers are too short (and, with a load average above the core count below,"
    echo "too disturbed) to compare proxies. Full run: \`sudo bench/run.sh https\`."
    echo
  fi
  report_machine
  echo "- h2load: $(h2load --version 2>&1 | sed -n 1p); OpenSSL (clients): $(openssl version 2>&1 | sed -n 1p); python3: $(python3 -c 'import ssl; print(ssl.OPENSSL_VERSION)' 2>&1)"
  echo "- Turnout TLS provider: $(sed -n 's/.* https on [^ ]* (\([^)]*\)).*/\1/p' "$TURNOUT_DIR/turnout.log" | sed -n 1p)"
  echo
  echo "## Settings"
  echo
  echo "- one certificate for all three: ECDSA P-256, self-signed ($CERT_LINE); nginx and Turnout read cert.pem and key.pem, HAProxy the two in one file"
  echo "- nginx $NGINX_VERSION_NUM as quoted in issue 11: \`${NGINX_LISTEN_TLS//$'\n'/ }\`, ssl_protocols TLSv1.2 TLSv1.3, ssl_ciphers HIGH:!aNULL:!MD5, upstream keepalive 32, a plain server that answers 301 to https; worker_processes auto"
  echo "- HAProxy: \`bind ... ssl crt haproxy.pem alpn h2,http/1.1\`, ssl-min-ver TLSv1.2, ciphers HIGH:!aNULL:!MD5, nbthread $NCPU, http-reuse always"
  echo "- Turnout: \`tls\` with listen, certificates, protocols [TLSv1.2, TLSv1.3], alpn [h2, http/1.1], redirectHttp true; \`http2.maxConcurrentStreams: 128\`; otherwise the plain section's config (listeners, pools, state file; upstream and limits at their defaults); started as the README runs it, \`bin/turnout\`, with the JVM options \`$(launcher_java_opts)\`${TURNOUT_JAVA_OPTS:+ (bin/jvm.options, then TURNOUT_JAVA_OPTS)}"
  echo "- negotiated with tls_connect.py (Python's OpenSSL client): $(for t in "${TLS_TARGETS[@]}"; do printf '%s %s; ' "${LABEL_OF[$t]}" "${TLS_PROTO[$t]:-?}"; done | sed 's/; $//')"
  echo "- backend: the plain section's (nginx, 1 worker, 100-byte answer); all on 127.0.0.1, the clients on the same $(nproc) cores"
  echo "- warm-up ${WARMUP} per proxy each of wrk over https, tls_connect.py, and h2load where h2 is served; then $ROUNDS interleaved round(s) of $DURATION per test and proxy"
  echo "- p50/p99: wrk's --latency; for h2load, from its --log-file (one line per request; h2load itself prints only min, max, mean and sd); for tls_connect.py, connect to the end of the answer"
  echo "- CPU µs/request: user + system time of all the proxy's processes during the run (/proc/<pid>/stat) divided by the requests (or connections) completed; RSS: summed VmRSS right after the run"
  echo "- open files: ulimit -n $(ulimit -n)${NOFILE_NOTE:+ (**$NOFILE_NOTE**)}"
  echo "- raw outputs, configs and logs: \`$RUN_DIR\`"
  echo
  for test in "${TEST_NAMES[@]}"; do
    echo "## ${TEST_TITLE[$test]}"
    echo
    tls_table "$test"
    echo
  done
  echo "wrk with \`Connection: close\` opens a new connection for every request, but offers the previous"
  echo "TLS session again, so all three (each issues TLS 1.3 session tickets) do an abbreviated"
  echo "handshake where the client resumes. The handshake target is judged on the full-handshake test."
  echo
  echo "## RSS with $H2_CONNS HTTP/2 connections open (h2load -t2 -c$H2_CONNS -m1 --rps=1 -D $H2_HOLD)"
  echo
  echo "| Proxy | connections established (max, ss) | RSS MB before | RSS MB held (max) | requests | errors |"
  echo "|---|---:|---:|---:|---:|---:|"
  for t in "${TLS_TARGETS[@]}"; do echo "${HOLD_LINE[$t]}"; done
  echo
  echo "## Targets (issue 11 §5)"
  echo
  echo "| Target (same run) | Measured (median of $ROUNDS round(s)) | Met? |"
  echo "|---|---|---|"
  target_row "HTTP/2 req/s at least 1.1 × nginx" h2 nginx 4 ge 1.1
  target_row "HTTP/2 req/s at least HAProxy's" h2 haproxy 4 ge 1
  target_row "HTTP/2 p99 no worse than nginx" h2 nginx 6 le 1
  target_row "HTTPS/1.1 req/s at least 1.1 × nginx" h1 nginx 4 ge 1.1
  target_row "HTTPS/1.1 req/s at least HAProxy's" h1 haproxy 4 ge 1
  target_row "HTTPS/1.1 p99 no worse than nginx" h1 nginx 6 le 1
  target_row "New TLS connections/s (full handshakes) at least nginx's" hs nginx 4 ge 1
  if [[ ${H2_OK[turnout]} == 1 ]]; then
    echo "| RSS at most 256 MB with $H2_CONNS HTTP/2 connections open | ${HOLD_RSS[turnout]} MB | $( ((HOLD_RSS[turnout] <= 256)) && echo yes || echo '**no**') |"
  else
    echo "| RSS at most 256 MB with $H2_CONNS HTTP/2 connections open | no h2: Turnout does not negotiate h2 yet | **not measured** |"
  fi
  echo
  echo "Also: Turnout/nginx CPU per request, HTTPS/1.1 $(fmt "$(ratio_median h1 turnout nginx 9)"), full handshakes $(fmt "$(ratio_median hs turnout nginx 9)") (below 1 is cheaper)."
  echo
  echo "## Checks"
  echo
  echo "| Proxy | body as the backend's | curl --http1.1 | curl --http2 | plain port: \`GET /x?y\` |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${CHECKS[@]}"
  echo
  for t in "${!H2LOAD_SAYS[@]}"; do
    echo "\`h2load -n1 -c1 --npn-list=h2\` against ${LABEL_OF[$t]}: \`${H2LOAD_SAYS[$t]:-no message}\`"
    echo
  done
  echo "Turnout log: $(grep -cE ' (WARN|ERROR) ' "$TURNOUT_DIR/turnout.log" || true) WARN/ERROR lines (\`$TURNOUT_DIR/turnout.log\`)."
} >"$REPORT"

cat "$REPORT"
if [[ $KEEP_RESULT == 1 ]]; then
  mkdir -p "$REPO/bench/results"
  cp "$REPORT" "$REPO/bench/results/$NOW-https.md"
  log "report written to bench/results/$NOW-https.md"
fi
