package dev.turnout.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** proxy.yaml, schema v1, after validation. Every part is an immutable record. */
public record ProxyConfig(
        HostPort listen,
        Admin admin,
        List<PoolSpec> pools,
        String active,
        State state,
        Upstream upstream,
        Drain drain,
        Health health,
        Gate gate,
        Retry retry,
        Preview preview,
        Rollback rollback,
        Limits limits,
        Headers headers,
        List<Cidr> trustedProxies,
        Optional<Tls> tls,
        Http2 http2,
        AccessLog accessLog,
        EdgeHealth edgeHealth,
        Startup startup,
        Shutdown shutdown,
        Logging logging,
        Optional<Cluster> cluster) {

    public ProxyConfig {
        pools = List.copyOf(pools);
        trustedProxies = List.copyOf(trustedProxies);
    }

    /**
     * This config with the keys only a restart can apply (listeners, state file) taken from
     * {@code running}: what a reload actually puts in force. Whether there is an HTTPS listener is
     * one of them, so a reload neither opens nor closes it: without one the new {@code tls} has
     * nothing to serve, and one that stays open keeps serving what it has.
     */
    public ProxyConfig keepingRestartOnlyKeysOf(ProxyConfig running) {
        Optional<Tls> tlsInForce = running.tls.map(old -> tls.map(t -> t.keepingStartOnlyKeysOf(old)).orElse(old));
        return new ProxyConfig(running.listen, new Admin(running.admin.listen(), admin.token()), pools, active, running.state,
                upstream, drain, health, gate, retry, preview, rollback, limits, headers, trustedProxies, tlsInForce, http2,
                accessLog.keepingStartOnlyKeysOf(running.accessLog), edgeHealth, startup, shutdown, logging, running.cluster);
    }

    public ProxyConfig withState(State newState) {
        return new ProxyConfig(listen, admin, pools, active, newState, upstream, drain, health, gate, retry, preview, rollback,
                limits, headers, trustedProxies, tls, http2, accessLog, edgeHealth, startup, shutdown, logging, cluster);
    }

    /** {@code token} empty means no authentication, which the loader allows on loopback only. */
    public record Admin(HostPort listen, Optional<String> token) {}

    /** A named pool; pools keep the order they were written in. */
    public record PoolSpec(String name, List<HostPort> backends) {
        public PoolSpec {
            backends = List.copyOf(backends);
        }
    }

    /** {@code file} is empty when the active pool should not survive a restart (the demo). */
    public record State(Optional<Path> file) {}

    /**
     * {@code firstByteTimeout} runs from the request written to the end of the response head;
     * {@code readTimeout} bounds each silence after that.
     */
    public record Upstream(Duration connectTimeout, Duration firstByteTimeout, Duration readTimeout, Duration writeTimeout,
                           Keepalive keepalive) {}

    /** {@code maxIdlePerBackend} is empty for {@code auto}: the cap follows the recent peak of busy connections. */
    public record Keepalive(OptionalInt maxIdlePerBackend, Duration idleTimeout, int maxRequestsPerConnection) {

        /** {@code auto} or the explicit cap, as proxy.yaml spells it. */
        public String maxIdleText() {
            return maxIdlePerBackend.isPresent() ? String.valueOf(maxIdlePerBackend.getAsInt()) : "auto";
        }
    }

    /**
     * {@code closeTunnels}: how long a retired pool may keep its tunnels (WebSockets) before they are
     * closed; empty (off) lets them run until either side ends them.
     */
    public record Drain(Duration timeout, Optional<Duration> closeTunnels) {}

    /** On SIGTERM: how long the edge health answers 503 while the listeners still serve; zero for none. */
    /**
     * Cluster mode: the routing state lives in etcd under {@code /turnout/<name>/}, shared by every
     * replica of that name. {@code replica} empty means {@code <hostname>:<listen port>}.
     */
    public record Cluster(String name, String replica, Etcd etcd, Duration leaseTtl, DrainWait drainWait) {
        /** Whether a switch answer waits for every live replica's drain, or only this one's. */
        public enum DrainWait {
            ALL, SELF;

            public String key() {
                return name().toLowerCase(java.util.Locale.ROOT);
            }
        }
    }

    /** How to reach etcd: its client URLs, and optionally a user and client TLS. */
    public record Etcd(List<java.net.URI> endpoints, Optional<String> username, Optional<String> password,
                       Optional<EtcdTls> tls) {
        public Etcd {
            endpoints = List.copyOf(endpoints);
        }
    }

    /** {@code ca} empty: the JVM's trusted roots; {@code cert} and {@code key}: a client certificate for etcd. */
    public record EtcdTls(Optional<Path> ca, Optional<Path> cert, Optional<Path> key) {}

    /** {@code warmup} zero: the listeners accept at once. */
    public record Startup(Duration warmup) {}

    public record Shutdown(Duration delay) {}

    /** Active health checks: GET {@code path} on every backend every {@code interval}. */
    public record Health(String path, Duration interval, Duration timeout, int rise, int fall) {}

    /** The {@code switch} section: what a target pool must pass before traffic moves to it. */
    public record Gate(int minHealthy, List<Smoke> smoke) {
        public Gate {
            smoke = List.copyOf(smoke);
        }
    }

    /** One request sent to every backend of a target pool before a flip; its status must be one of {@code expect}. */
    public record Smoke(String method, String path, List<Integer> expect) {
        public Smoke {
            expect = List.copyOf(expect);
        }
    }

    /** Total tries per request, on other backends of the same pool. */
    public record Retry(int attempts) {}

    /** Routing to a named pool ahead of a flip; off when {@code header} is empty and {@code pathPrefix} false. */
    public record Preview(Optional<String> header, boolean pathPrefix) {}

    /**
     * What a client may send and how long it may take. {@code maxBodyBytes} 0 means unlimited.
     * {@code tunnelIdleTimeout}: a tunnel that carries no byte either way for this long is closed.
     */
    public record Limits(int maxRequestLine, int maxHeaderBytes, int maxHeaders, long maxBodyBytes, Duration headerTimeout,
                         Duration idleTimeout, int maxConnections, Duration tunnelIdleTimeout) {}

    /**
     * The HTTPS listener. {@code certificates}: one or more, the first is served when SNI names none
     * of the others; {@code ciphers} empty means a modern default; {@code hsts} empty adds no header.
     */
    public record Tls(HostPort listen, List<Certificate> certificates, List<String> protocols, List<String> ciphers,
                      List<String> alpn, boolean redirectHttp, int redirectPort, Optional<String> hsts) {
        public Tls {
            certificates = List.copyOf(certificates);
            protocols = List.copyOf(protocols);
            ciphers = List.copyOf(ciphers);
            alpn = List.copyOf(alpn);
        }

        /**
         * These certificates, protocols, ciphers and ALPN list with what the listeners took at start
         * from {@code running}: the address, and the HSTS and redirect lines they write.
         */
        Tls keepingStartOnlyKeysOf(Tls running) {
            return new Tls(running.listen, certificates, protocols, ciphers, alpn, running.redirectHttp, running.redirectPort,
                    running.hsts);
        }
    }

    /** A certificate chain and its private key, as PEM files. */
    public record Certificate(Path cert, Path key) {}

    /** HTTP/2 towards clients; {@code cleartext}: the plain listener also takes h2c with prior knowledge. */
    public record Http2(int maxConcurrentStreams, int initialWindowSize, int maxHeaderListSize, boolean cleartext) {}

    /**
     * Turnout's own health on the traffic listeners: {@code path} (exact, query allowed) is answered
     * by Turnout, 200 while it serves and 503 once it stops; empty turns it off.
     */
    public record EdgeHealth(Optional<String> path) {}

    /** What logback writes to stdout: {@code level} debug, info, warn or error; {@code format} text or json. */
    public record Logging(String level, String format) {}

    /** What request headers may pass: names with {@code _} are dropped unless {@code allowUnderscores}. */
    public record Headers(boolean allowUnderscores) {}

    /**
     * Automatic rollback of a new active pool whose error rate passes the old pool's rate over
     * {@code window} before the flip plus {@code maxErrorRate}, within {@code window}; errors count
     * only once they come from {@code minClients} distinct client addresses.
     */
    public record Rollback(boolean auto, Duration window, double maxErrorRate, int minRequests, int minClients) {}

    /**
     * One line per completed exchange through the logger {@code turnout.access}. {@code path} empty
     * means stdout; a file rolls daily and at {@code maxFileSize}, keeping {@code maxHistory} files.
     * {@code exclude}: paths (without the query) that are not logged.
     */
    public record AccessLog(boolean enabled, Format format, Optional<Path> path, long maxFileSize, int maxHistory,
                            List<String> exclude) {
        public AccessLog {
            exclude = List.copyOf(exclude);
        }

        /** The line formats: JSON objects, or nginx's combined format plus pool, backend, generation and duration. */
        public enum Format {
            JSON, COMBINED;

            public String key() {
                return name().toLowerCase(java.util.Locale.ROOT);
            }
        }

        /** This format and these exclusions with what the appenders took at start from {@code running}: on or off, where, how rolled. */
        AccessLog keepingStartOnlyKeysOf(AccessLog running) {
            return new AccessLog(running.enabled, format, running.path, running.maxFileSize, running.maxHistory, exclude);
        }
    }
}
