package dev.turnout.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** proxy.yaml, schema v1, after validation. Every part is an immutable record. */
public record ProxyConfig(
        HostPort listen,
        Admin admin,
        List<PoolSpec> pools,
        String active,
        State state,
        Upstream upstream,
        Drain drain) {

    public ProxyConfig {
        pools = List.copyOf(pools);
    }

    public record Admin(HostPort listen) {}

    /** A named pool; pools keep the order they were written in. */
    public record PoolSpec(String name, List<HostPort> backends) {
        public PoolSpec {
            backends = List.copyOf(backends);
        }
    }

    /** {@code file} is empty when the active pool should not survive a restart (the demo). */
    public record State(Optional<Path> file) {}

    public record Upstream(Duration connectTimeout, Duration readTimeout, Duration writeTimeout, Keepalive keepalive) {}

    public record Keepalive(int maxIdlePerBackend, Duration idleTimeout, int maxRequestsPerConnection) {}

    public record Drain(Duration timeout) {}
}
