package dev.turnout.config;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every key of proxy.yaml, in the order of the reference. The reload change report is made from
 * this table; {@link ConfigLoader}, {@code turnout check}'s summary and docs/configuration.md are
 * tested against it, so a key cannot be added to one of them and forgotten in another.
 */
public final class ConfigKeys {

    public static final List<ConfigKey> ALL = List.of(
            reported("listen", "`0.0.0.0:8080`", "`host:port` or `[v6]:port`",
                    c -> c.listen().toString(),
                    "The client-facing listener; all interfaces, because it is the edge."),
            reported("admin.listen", "`127.0.0.1:9090`", "`host:port`",
                    c -> c.admin().listen().toString(),
                    "Whoever reaches the admin API can move your traffic, so by default only the local machine can. Any address "
                    + "that is not loopback (`127.0.0.0/8`, `::1`, `localhost`) needs `admin.token`, or the config is refused (see "
                    + "[Admin token](security.md#admin-token))."),
            reported("admin.token", "none", "a string, normally `${TURNOUT_ADMIN_TOKEN}`",
                    c -> c.admin().token().isPresent() ? "(set)" : "(not set)",
                    "When set, every `/admin/*` call needs `Authorization: Bearer <token>`; `/health` stays open. None by default, "
                    + "because the default listener is loopback only. Take it from the environment rather than writing it into the "
                    + "file; an empty value means no token."),
            documented("pools", "required", "mapping of name to `{ backends: [host:port, ...] }`",
                    "Two or more pools, each with one or more backends. Names: letters, digits, `-` and `_`, starting with a letter"
                    + " or digit. A backend listed twice in a pool is an error."),
            documented("active", "the first pool", "a pool name",
                    "Used only when there is no state file yet (or it names a pool the config no longer has). After that the state "
                    + "file decides."),
            reported("state.file", "`turnout-state.json`", "a path, relative to the working directory",
                    c -> c.state().file().map(Object::toString).orElse("(none)"),
                    "Remembers the active pool, the previous pool, the generation and the last 100 flips (`history`), so a restart "
                    + "does not silently flip back or forget what happened. It is always on; missing directories are created. Turnout"
                    + " does not start when it cannot create a file in that directory, rather than find out at the first flip."),
            reported("upstream.connectTimeout", "`10s`", "duration",
                    c -> Durations.format(c.upstream().connectTimeout()),
                    "A backend that has not accepted a TCP connection in 10 s is down; fail the request rather than hold it."),
            reported("upstream.firstByteTimeout", "`60s`", "duration",
                    c -> Durations.format(c.upstream().firstByteTimeout()),
                    "From the request written upstream to the end of the (final) response head: the whole head, not each gap in it."
                    + " A reasoning model may think for a minute before its first token; this allows that without raising "
                    + "`readTimeout` for every stream, and a backend that drips its head a byte at a time cannot hold the request "
                    + "longer. Past it: 504, or a cut-off answer if a `1xx` already went to the client."),
            reported("upstream.readTimeout", "`30s`", "duration",
                    c -> Durations.format(c.upstream().readTimeout()),
                    "The longest silence from a backend after its response head, between parts of the body. It is a gap, not a "
                    + "total: a stream that sends something at least every 30 s can run for hours. Before the head, "
                    + "`firstByteTimeout` applies instead."),
            reported("upstream.writeTimeout", "`30s`", "duration",
                    c -> Durations.format(c.upstream().writeTimeout()),
                    "The longest a backend may refuse to accept request bytes (a stalled upload)."),
            reported("upstream.keepalive.maxIdlePerBackend", "`auto`", "`auto`, or a whole number, `0` or more",
                    c -> c.upstream().keepalive().maxIdleText(),
                    "Idle connections kept per backend **per event loop** (Turnout runs one per CPU). `auto` keeps as many as that"
                    + " loop had busy to the backend at once in the last one to two `idleTimeout`s (a decaying peak), at most 1024"
                    + " per loop, so a burst that needed N connections finds them open when it comes back. Within that cap, idle"
                    + " ones close only by `idleTimeout` and `maxRequestsPerConnection`. A whole number is a fixed cap instead; `0` turns pooling off."
                    + " nginx's `keepalive 32` per worker is the wrong model here: every backend connection sits on one of a few"
                    + " loops, and each request above the cap per loop opens and closes a connection, which costs far more than an"
                    + " idle socket (with a cap of 32 at 1,000 client connections Turnout served about half the requests per second"
                    + " it served with 1024)."),
            reported("upstream.keepalive.idleTimeout", "`60s`", "duration",
                    c -> Durations.format(c.upstream().keepalive().idleTimeout()),
                    "nginx's upstream `keepalive_timeout` default. Keep it below your backend's own keep-alive timeout (see below)."),
            reported("upstream.keepalive.maxRequestsPerConnection", "`1000`", "whole number, `1` or more",
                    c -> String.valueOf(c.upstream().keepalive().maxRequestsPerConnection()),
                    "nginx's `keepalive_requests` default; closing a connection now and then frees what the backend holds per "
                    + "connection."),
            reported("drain.timeout", "`120s`", "duration",
                    c -> Durations.format(c.drain().timeout()),
                    "How long a switch call waits for the old pool to empty before it answers `\"drained\":false`. Two minutes covers"
                    + " long streamed answers without leaving a deploy script hanging. It kills nothing."),
            reported("drain.closeTunnels", "off", "duration, or `off`",
                    c -> c.drain().closeTunnels().map(Durations::format).orElse("off"),
                    "How long a pool that stopped being active (a flip, a reload that removed its backends, a stop) may keep its "
                    + "tunnels (WebSockets) before Turnout closes them, both sides; a WebSocket client then reconnects and lands on "
                    + "the active pool. Off by default: a tunnel stays on the pool it opened on until either side ends it, like a "
                    + "stream, and the drain waits for it (see [WebSocket tunnels](websockets.md))."),
            reported("startup.warmup", "`5s`", "duration up to `60s`, `0s` for none",
                    c -> Durations.format(c.startup().warmup()),
                    "Before the traffic listeners accept, Turnout sends requests through a second Turnout of its own on loopback"
                    + " ports for this long, so that the JIT has compiled the request path when the first client arrives. The"
                    + " listeners are bound at once: a client that connects meanwhile waits in the listen queue, it is not refused;"
                    + " the admin listener serves from the start. Cold, Turnout served about half a warm nginx's requests in its"
                    + " first 5 s on 2 cores; warmed, about as many (bench/README.md, \"Warm-up\"). Only a restart changes it."),
            reported("shutdown.delay", "`0s`", "duration, `0s` for none",
                    c -> Durations.format(c.shutdown().delay()),
                    "On SIGTERM or SIGINT, how long Turnout first answers `edgeHealth.path` with 503 while it still accepts and "
                    + "serves as before, so the load balancer in front takes it out of rotation before the listeners close; then it "
                    + "drains as without it, `drain.timeout` counting from there (see [Stopping](operations.md#stopping-sigterm-and-sigint))."
                    + " None by default: without a load balancer that probes the edge health, the wait only delays the stop. On "
                    + "Kubernetes, set it to a few seconds more than the time the endpoint takes to leave the load balancer (e.g. "
                    + "`5s`), and `terminationGracePeriodSeconds` above it plus `drain.timeout`."),
            reported("health.path", "`/health`", "a path starting with `/`",
                    c -> c.health().path(),
                    "The path most apps and container health checks already serve. Every backend must answer it with a 2xx (see the"
                    + " warning below)."),
            reported("health.interval", "`2s`", "duration",
                    c -> Durations.format(c.health().interval()),
                    "How often each backend is checked. With `fall: 3` a dead backend is out within about 6 s, for one small "
                    + "request per backend every 2 s."),
            reported("health.timeout", "`1s`", "duration, at most `health.interval`",
                    c -> Durations.format(c.health().timeout()),
                    "A health endpoint that needs more than a second to answer is as good as down. It may not be longer than the "
                    + "interval, so the checks of one backend never overlap."),
            reported("health.rise", "`2`", "whole number, `1` or more",
                    c -> String.valueOf(c.health().rise()),
                    "Passing checks in a row before an unhealthy backend counts as healthy again. Two, so that one lucky answer "
                    + "from a backend that is still starting does not bring it back."),
            reported("health.fall", "`3`", "whole number, `1` or more",
                    c -> String.valueOf(c.health().fall()),
                    "Failing checks in a row before a healthy backend counts as unhealthy. Three, so that one slow check (a GC "
                    + "pause, a lost packet) does not take a backend out. Live traffic that cannot connect takes it out at once "
                    + "anyway."),
            reported("edgeHealth.path", "`/turnout/health`", "a path starting with `/` (no query), or `\"\"` for off",
                    c -> c.edgeHealth().path().orElse("(off)"),
                    "Turnout's own health on the traffic listeners, plain and HTTPS, HTTP/1.1 and HTTP/2, for the load balancer in "
                    + "front: the admin listener is loopback only by default, and `/health` on the traffic port belongs to your app."
                    + " Turnout answers it itself, never a backend: `200 {\"status\":\"ok\"}` while it serves, `503 "
                    + "{\"status\":\"stopping\"}` from the moment it is stopping (see `shutdown.delay`). Exact match on the path, any "
                    + "query string allowed; every method gets the same answer, as HAProxy's `monitor-uri` does (HEAD without the body),"
                    + " so the path never reaches your app. Also answered on a plain listener that redirects to HTTPS. A path under "
                    + "`/turnout/` is unlikely to be one of your app's; `\"\"` turns it off (unlike other keys, where empty means the"
                    + " default)."),
            reported("switch.minHealthy", "`1`", "whole number, `0` or more",
                    c -> String.valueOf(c.gate().minHealthy()),
                    "Healthy backends the target pool needs, or the switch is refused. One means a pool with no healthy backend "
                    + "never gets traffic by a plain switch; raise it for pools with several backends to refuse a half-started pool. "
                    + "`0` turns this part of the gate off. A value above the pool's number of backends refuses every switch to it "
                    + "that is not forced."),
            reported("switch.smoke", "none", "list of `{ method, path, expect }`",
                    c -> c.gate().smoke().toString(),
                    "Requests sent to every backend of the target pool before a flip; all must pass. None by default, because "
                    + "Turnout cannot guess which paths your app serves. A health check says the process is up; a smoke request says "
                    + "the API answers."),
            documented("switch.smoke[].method", "`GET`", "an HTTP method in capitals",
                    "Sent with no body (`Content-Length: 0`)."),
            documented("switch.smoke[].path", "required", "a path starting with `/`, query allowed",
                    "For example `/v1/models`."),
            documented("switch.smoke[].expect", "`[200]`", "list of statuses, `200` to `599`",
                    "The statuses that count as a pass. An API that wants a key may pass with `[200, 401]`: the route exists and "
                    + "the app answers."),
            reported("retry.attempts", "`2`", "whole number, `1` or more",
                    c -> String.valueOf(c.retry().attempts()),
                    "Total tries per request, the first included, each on another backend of the same pool (see "
                    + "[Retries](switching.md#retries)). One retry covers the usual case, one dead or restarting backend, without "
                    + "multiplying the load on a pool that is failing as a whole. `1` turns retries off."),
            documented("preview", "off", "mapping, or absent",
                    "Preview routing is off when the section is absent: on the open internet nobody should reach the standby pool "
                    + "by accident. An empty `preview: {}` turns it on with the defaults below."),
            reported("preview.header", "`X-Environment`", "a header name, or `none`",
                    c -> c.preview().header().orElse("(off)"),
                    "A request with `X-Environment: green` goes to the pool `green`, whatever is active. `none` turns header "
                    + "routing off."),
            reported("preview.pathPrefix", "`false`", "`true` or `false`",
                    c -> String.valueOf(c.preview().pathPrefix()),
                    "When `true`, `/green/...` goes to `green` with `/green` removed. Off by default, because it takes over every "
                    + "path that begins with a pool name, which your app may use itself."),
            reported("rollback.auto", "`true`", "`true` or `false`",
                    c -> String.valueOf(c.rollback().auto()),
                    "A bad release should not keep the traffic while nobody is looking. The watch only runs for `rollback.window` "
                    + "after a switch or rollback you made. `false`: no watch, no automatic rollback."),
            reported("rollback.window", "`5m`", "duration",
                    c -> Durations.format(c.rollback().window()),
                    "How long the new active pool is watched after a flip. Most bad releases show within minutes; after that, "
                    + "rolling back is a decision for a person."),
            reported("rollback.maxErrorRate", "`0.05`", "a number from `0` to `1`",
                    c -> String.valueOf(c.rollback().maxErrorRate()),
                    "One error in twenty requests more than the old pool had: a healthy service is far below it, a broken release "
                    + "far above. The pool is rolled back when errors are *more* than the old pool's error rate before the flip plus "
                    + "this share of its requests (see [Automatic rollback](switching.md#automatic-rollback)), so `1` turns the "
                    + "error-rate rule off (the no-healthy-backend rule stays)."),
            reported("rollback.minRequests", "`20`", "whole number, `1` or more",
                    c -> String.valueOf(c.rollback().minRequests()),
                    "No decision on a handful of requests: one 500 among the first three is not a trend. With the defaults, a pool "
                    + "that answers only 500s to three or more clients is rolled back at its 20th request, and 2 errors among the "
                    + "first 20 requests are enough when the old pool had none."),
            reported("rollback.minClients", "`3`", "whole number, `1` or more",
                    c -> String.valueOf(c.rollback().minClients()),
                    "Errors count towards a rollback only once they come from this many distinct client addresses (as "
                    + "`trustedProxies` resolves them), so one client hitting a failing path cannot roll a healthy release back (see "
                    + "[Automatic rollback](switching.md#automatic-rollback))."),
            reported("limits.maxRequestLine", "`8KiB`", "size, at most `1MiB`",
                    c -> String.valueOf(c.limits().maxRequestLine()),
                    "The longest request line (method, target, version). Past it: 414. nginx's default header buffers hold a "
                    + "request line of 8 KB too; a longer URL is almost always a bug or an attack."),
            reported("limits.maxHeaderBytes", "`32KiB`", "size, at most `16MiB`",
                    c -> String.valueOf(c.limits().maxHeaderBytes()),
                    "All header lines of a request together. Past it: 431. Room for large cookies and bearer tokens (nginx's "
                    + "default header buffers total 32 KB as well), while a client cannot make Turnout hold megabytes per connection."),
            reported("limits.maxHeaders", "`100`", "whole number, `1` or more",
                    c -> String.valueOf(c.limits().maxHeaders()),
                    "Header fields in a request. Past it: 431. HAProxy's default is 101; real clients send a few dozen at most, and"
                    + " each field costs the backend a lookup."),
            reported("limits.maxBodyBytes", "`0`", "size; `0` = unlimited",
                    c -> String.valueOf(c.limits().maxBodyBytes()),
                    "Past it: 413, checked on `Content-Length` before anything is forwarded and counted while a chunked body "
                    + "streams. Unlimited by default because Turnout streams bodies and never holds one whole, so a large body costs "
                    + "it no memory, and only you know how large an upload your API takes."),
            reported("limits.headerTimeout", "`10s`", "duration",
                    c -> Durations.format(c.limits().headerTimeout()),
                    "A client must send a whole request head within this, or it gets 408 and the connection closes. A real client "
                    + "sends its head at once; ten seconds covers a slow mobile link and stops a client that drips header bytes "
                    + "(Slowloris) from holding a connection."),
            reported("limits.idleTimeout", "`60s`", "duration",
                    c -> Durations.format(c.limits().idleTimeout()),
                    "A keep-alive client connection with no request for this long is closed; a client that goes silent this long in"
                    + " the middle of its request body gets 408; a client that takes no byte of its answer for this long is dropped. "
                    + "A minute lets clients reuse connections between requests without idle ones piling up."),
            reported("limits.maxConnections", "`10000`", "whole number, `1` or more",
                    c -> String.valueOf(c.limits().maxConnections()),
                    "Open client connections. Past it a new connection gets 503 and is closed at once, so a flood of connections "
                    + "cannot exhaust file descriptors or memory. Keep the open-file limit (`ulimit -n`) well above it: each busy "
                    + "client connection also holds a backend connection."),
            reported("limits.tunnelIdleTimeout", "`1h`", "duration",
                    c -> Durations.format(c.limits().tunnelIdleTimeout()),
                    "A tunnel (WebSocket) that carries no byte either way for this long is closed, both sides. Ping and pong "
                    + "frames are bytes like any other: Turnout does not read WebSocket frames. An hour keeps quiet chat sockets "
                    + "that ping every few minutes, and frees the connections of clients that vanished without a FIN."),
            reported("headers.allowUnderscores", "`false`", "`true` or `false`",
                    c -> String.valueOf(c.headers().allowUnderscores()),
                    "Request header names containing `_` are dropped before forwarding, as nginx's `underscores_in_headers off` "
                    + "does: a CGI or WSGI backend reads `X_Forwarded_For` and `X-Forwarded-For` as the same `HTTP_X_FORWARDED_FOR`, "
                    + "so a client could smuggle a forwarded address past Turnout. `true` forwards them."),
            reported("trustedProxies", "`[]`", "list of address ranges: `10.0.0.0/8`, `192.168.1.7`, `fd00::/8`",
                    c -> c.trustedProxies().toString(),
                    "Peers whose `X-Forwarded-*` headers Turnout believes: from them it appends to `X-Forwarded-For` and keeps the "
                    + "other forwarded headers; from anyone else it replaces them all (see [Trusted "
                    + "proxies](security.md#trusted-proxies)). Empty by default: at the edge, a client's claim about who it is proves"
                    + " nothing."),
            documented("tls", "off", "mapping, or absent",
                    "HTTPS is off when the section is absent: without certificates there is nothing to serve. With it, "
                    + "`tls.certificates` is required and the other keys have the defaults below."),
            reported("tls.listen", "`0.0.0.0:8443`", "`host:port` or `[v6]:port`",
                    c -> c.tls().map(t -> t.listen().toString()).orElse("(off)"),
                    "The HTTPS listener, beside the plain one; all interfaces, because it is the edge. 8443 rather than 443, so "
                    + "that binding it needs no privilege: map 443 to it, or set `0.0.0.0:443` and give the process "
                    + "`CAP_NET_BIND_SERVICE`. Like `listen`, only a restart moves it."),
            reported("tls.certificates", "required", "list of `{ cert, key }`",
                    c -> c.tls().map(t -> t.certificates().stream().map(x -> x.cert() + " + " + x.key()).toList().toString())
                            .orElse("(off)"),
                    "One or more certificate chains with their keys. SNI picks the certificate by the names in it; a client that "
                    + "names none of them gets the first. `turnout check` reads each one: the key matches, the chain is in order, "
                    + "nothing has expired, and it lists the names each certificate serves."),
            documented("tls.certificates[].cert", "required", "a path to a PEM file",
                    "The certificate first, then the intermediates, each followed by the one that signed it, as certbot's "
                    + "`fullchain.pem` has them. Clients need the intermediates to trust the certificate; the root is left out."),
            documented("tls.certificates[].key", "required", "a path to a PEM file, PKCS#8 (`BEGIN PRIVATE KEY`)",
                    "The private key of the first certificate, unencrypted, RSA or EC. A PKCS#1 or SEC1 key (`BEGIN RSA PRIVATE "
                    + "KEY`, `BEGIN EC PRIVATE KEY`) converts with `openssl pkcs8 -topk8 -nocrypt`."),
            reported("tls.protocols", "`[TLSv1.2, TLSv1.3]`", "list of `TLSv1.2`, `TLSv1.3`",
                    c -> c.tls().map(t -> t.protocols().toString()).orElse("(off)"),
                    "What nginx's `ssl_protocols TLSv1.2 TLSv1.3` allows. TLS 1.0 and 1.1 are broken (RFC 8996) and refused; "
                    + "TLS 1.2 stays for the clients that do not speak 1.3 yet."),
            reported("tls.ciphers", "`[]`", "list of TLS 1.2 cipher suites, OpenSSL or IANA names",
                    c -> c.tls().map(t -> t.ciphers().toString()).orElse("(off)"),
                    "Empty means a modern set: forward secrecy and AEAD only (ECDHE with AES-GCM or ChaCha20-Poly1305). TLS 1.3 "
                    + "suites are not chosen here: all of them are sound."),
            reported("tls.alpn", "`[h2, http/1.1]`", "list of `h2`, `http/1.1`, in order of preference",
                    c -> c.tls().map(t -> t.alpn().toString()).orElse("(off)"),
                    "HTTP/2 for the clients that offer it, HTTP/1.1 for the rest. `[http/1.1]` turns HTTP/2 off on the HTTPS "
                    + "listener."),
            reported("tls.redirectHttp", "`false`", "`true` or `false`",
                    c -> c.tls().map(t -> String.valueOf(t.redirectHttp())).orElse("(off)"),
                    "When `true`, the plain listener answers every request but `/health` (proxied) and `edgeHealth.path` "
                    + "(answered by Turnout) with a redirect to HTTPS (`301` for GET and HEAD, `308` for the others, so a POST stays a POST). Off by default, because behind a load balancer "
                    + "that terminates TLS itself the plain listener is the one that serves."),
            reported("tls.redirectPort", "`443`", "a port, `1` to `65535`",
                    c -> c.tls().map(t -> String.valueOf(t.redirectPort())).orElse("(off)"),
                    "The port written into redirect URLs, left out when it is 443. Set it to the port clients reach HTTPS on, "
                    + "which is not the port of `tls.listen` when 443 is mapped to it."),
            reported("tls.hsts", "none", "a `Strict-Transport-Security` value, such as `max-age=31536000; includeSubDomains`",
                    c -> c.tls().map(t -> t.hsts().orElse("(none)")).orElse("(off)"),
                    "Added to every HTTPS answer when set. None by default: a browser that has seen it refuses plain HTTP to the "
                    + "host for `max-age`, which is hard to undo, so turning it on is your decision."),
            reported("http2.maxConcurrentStreams", "`100`", "whole number, `1` or more",
                    c -> String.valueOf(c.http2().maxConcurrentStreams()),
                    "Open streams per client connection; past it a new stream is refused with `REFUSED_STREAM`, which a client "
                    + "retries. 100 is the least RFC 9113 recommends and what nginx allows; browsers open fewer."),
            reported("http2.initialWindowSize", "`1MiB`", "size, at least `65535` bytes",
                    c -> String.valueOf(c.http2().initialWindowSize()),
                    "How much of a request body a client may send on a stream before Turnout asks for more. A megabyte keeps "
                    + "uploads at full speed over a long link, and memory stays bounded, because the window grows back only as "
                    + "the backend takes the bytes."),
            reported("http2.maxHeaderListSize", "as `limits.maxHeaderBytes`", "size, from `1KiB` to `16MiB`",
                    c -> c.http2().maxHeaderListSize() == c.limits().maxHeaderBytes() ? "as limits.maxHeaderBytes"
                            : String.valueOf(c.http2().maxHeaderListSize()),
                    "All header fields of a request, decoded; past it the stream is refused before the block is held whole (the "
                    + "CONTINUATION flood, CVE-2024-27316). The HTTP/1.1 limit by default, so that no request passes over one "
                    + "protocol and is refused over the other."),
            reported("http2.cleartext", "`false`", "`true` or `false`",
                    c -> String.valueOf(c.http2().cleartext()),
                    "When `true`, the plain listener also takes HTTP/2 with prior knowledge (h2c), for a load balancer that speaks "
                    + "HTTP/2 to what is behind it. Off by default: browsers never speak h2c, so on the open internet it would "
                    + "only give attackers one more protocol. Not with `tls.redirectHttp`, which makes the plain listener redirect "
                    + "everything over HTTP/1.1."),
            reported("logging.level", "`info`", "`debug`, `info`, `warn` or `error`",
                    c -> c.logging().level(),
                    "The least severe lines written to stdout. At `info` an operator sees the start, every flip, reload and stop,"
                    + " and the operational lines of [Logs](operations.md#logs) (health changes, Turnout's own 5xx answers, "
                    + "refusals), each rate-limited; nothing per request. `warn` keeps only what needs a look; `debug` adds "
                    + "Turnout's debug lines (Netty's own stay at `warn`, they would drown the rest). A reload applies it."),
            reported("logging.format", "`text`", "`text` or `json`",
                    c -> c.logging().format(),
                    "`text` is one line per event for a person reading a terminal (`2026-11-26T22:06:53.752Z INFO  SwitchService "
                    + "- ...`); `json` is one JSON object per line for a log shipper: `time` (ISO-8601 UTC, ms), `level`, `logger`,"
                    + " `thread`, `message`, and with an exception `exceptionClass` and `exceptionMessage`, plus `stackTrace` (one "
                    + "string, so the line stays one line) on ERROR only, which is a bug (see [Logs](operations.md#logs)). A "
                    + "reload applies it."),
            reported("accessLog.enabled", "`true`", "`true` or `false`",
                    c -> String.valueOf(c.accessLog().enabled()),
                    "One line per completed request, as nginx writes by default: who asked what, which pool and backend "
                    + "answered, how long it took. Lines go through a queue, so a slow disk never holds a request: when the queue "
                    + "is full, lines are dropped (see [Logs](operations.md#logs)). Only a restart turns it on or off."),
            reported("accessLog.format", "`json`", "`json` or `combined`",
                    c -> c.accessLog().format().key(),
                    "JSON, one object per line, because log pipelines read it without a pattern to maintain. `combined` is "
                    + "nginx's `combined` format with the pool, backend, generation and duration after it, for tools that read "
                    + "nginx logs."),
            reported("accessLog.path", "`\"\"`", "a file path, or `\"\"` for standard output",
                    c -> c.accessLog().path().map(Object::toString).orElse("(stdout)"),
                    "Standard output by default, where containers and systemd collect logs. A file is rolled daily and when it "
                    + "reaches `accessLog.maxFileSize` (`access.log` becomes `access.log.2026-12-02.0`, ...). Only a restart moves it."),
            reported("accessLog.maxFileSize", "`100MiB`", "size, at least `1KiB`",
                    c -> String.valueOf(c.accessLog().maxFileSize()),
                    "A busy day's log is rolled into several files of this size rather than one that fills the disk before "
                    + "midnight. Only a restart changes it."),
            reported("accessLog.maxHistory", "`14`", "whole number, `1` or more",
                    c -> String.valueOf(c.accessLog().maxHistory()),
                    "Days of rolled files kept; older ones are deleted. Two weeks covers looking back at last week's incident. "
                    + "Only a restart changes it."),
            reported("accessLog.exclude", "`[/health]`", "list of paths, matched exactly, without the query",
                    c -> c.accessLog().exclude().toString(),
                    "Requests to these paths are not logged, as the `access_log off` for `/health` in a typical nginx setup: a "
                    + "load balancer's checks every few seconds would drown the lines that matter. `[]` logs everything."),
            reported("cluster.name", "`turnout`", "letters, digits, `-` and `_`",
                    c -> c.cluster().map(ProxyConfig.Cluster::name).orElse("(off)"),
                    "Cluster mode is on when the `cluster` section is there: the active pool, the generation and the flip history"
                    + " live in etcd under `/turnout/<name>/`, and every replica of that name flips as one (see [Cluster mode]"
                    + "(cluster.md)). Without the section Turnout keeps its state file, as before. Only a restart changes any"
                    + " `cluster` key."),
            reported("cluster.replica", "`\"\"`", "letters, digits, `.`, `:`, `-` and `_`; `\"\"` for `<hostname>:<listen port>`",
                    c -> c.cluster().map(k -> k.replica().isEmpty() ? "(hostname:port)" : k.replica()).orElse("(off)"),
                    "This replica's id in `GET /admin/cluster` and in etcd. The default tells replicas on different machines apart;"
                    + " set it when two replicas share a host name (containers with a fixed one)."),
            reported("cluster.etcd.endpoints", "`[http://127.0.0.1:2379]`", "list of `http://host:port` or `https://host:port`",
                    c -> c.cluster().map(k -> k.etcd().endpoints().toString()).orElse("(off)"),
                    "etcd's client URLs; list every member, so that losing one is not losing the control plane."),
            reported("cluster.etcd.username", "none", "a string, normally `${ETCD_USERNAME:-}`",
                    c -> c.cluster().map(k -> k.etcd().username().orElse("(none)")).orElse("(off)"),
                    "etcd's own authentication, with `password`: both or neither. An empty value means none."),
            reported("cluster.etcd.password", "none", "a string, normally `${ETCD_PASSWORD:-}`",
                    c -> c.cluster().map(k -> k.etcd().password().isPresent() ? "(set)" : "(not set)").orElse("(off)"),
                    "With `username`. Take it from the environment rather than writing it into the file."),
            reported("cluster.etcd.tls.ca", "none", "a PEM file",
                    c -> c.cluster().flatMap(k -> k.etcd().tls()).flatMap(ProxyConfig.EtcdTls::ca).map(Object::toString).orElse("(none)"),
                    "The CA that signed etcd's server certificates, for `https://` endpoints; none means the JVM's trusted roots."),
            reported("cluster.etcd.tls.cert", "none", "a PEM file",
                    c -> c.cluster().flatMap(k -> k.etcd().tls()).flatMap(ProxyConfig.EtcdTls::cert).map(Object::toString).orElse("(none)"),
                    "A client certificate, with `key`, when etcd requires one (`--client-cert-auth`)."),
            reported("cluster.etcd.tls.key", "none", "a PEM file (PKCS#8)",
                    c -> c.cluster().flatMap(k -> k.etcd().tls()).flatMap(ProxyConfig.EtcdTls::key).map(Object::toString).orElse("(none)"),
                    "The client certificate's private key."),
            reported("cluster.leaseTtl", "`10s`", "duration from `2s` to `5m`",
                    c -> c.cluster().map(k -> Durations.format(k.leaseTtl())).orElse("(off)"),
                    "A replica that stops renewing its lease for this long counts as gone: it drops out of `GET /admin/cluster`"
                    + " and no switch waits for its drain. Ten seconds rides out a GC pause or a brief network blip."),
            reported("cluster.drainWait", "`all`", "`all` or `self`",
                    c -> c.cluster().map(k -> k.drainWait().key()).orElse("(off)"),
                    "`all`: a switch answer waits until every live replica has reported its drain (or `drain.timeout`), so a deploy"
                    + " script that waits for it knows the old pool is idle everywhere. `self`: only this replica's.")
);

    private ConfigKeys() {}

    private static ConfigKey reported(String path, String defaultValue, String form, Function<ProxyConfig, String> shown, String why) {
        return new ConfigKey(path, defaultValue, form, Optional.of(shown), why);
    }

    private static ConfigKey documented(String path, String defaultValue, String form, String why) {
        return new ConfigKey(path, defaultValue, form, Optional.empty(), why);
    }
}
