package dev.turnout.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reads the {@code cluster} section: absent means a single Turnout with its own state file. */
final class ClusterSection {

    static final String DEFAULT_NAME = "turnout";
    static final List<String> DEFAULT_ENDPOINTS = List.of("http://127.0.0.1:2379");
    static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
    /** etcd refuses leases shorter than about its election timeout; a minute-long gap is not "gone" any more. */
    private static final Duration MIN_LEASE_TTL = Duration.ofSeconds(2);
    private static final Duration MAX_LEASE_TTL = Duration.ofMinutes(5);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,63}");
    private static final Pattern REPLICA = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,253}");

    private ClusterSection() {}

    static Optional<ProxyConfig.Cluster> read(Section root) {
        boolean present = root.has("cluster");
        Section c = root.section("cluster");
        if (!present) {
            return Optional.empty();
        }
        String name = c.text("name", DEFAULT_NAME);
        if (!NAME.matcher(name).matches()) {
            c.problem(c.pathOf("name"), Section.quote(name)
                    + " is not a cluster name (expected: letters, digits, - and _, such as api; replicas with the same name form one cluster)");
        }
        String replica = c.text("replica", "");
        if (!replica.isEmpty() && !REPLICA.matcher(replica).matches()) {
            c.problem(c.pathOf("replica"), Section.quote(replica)
                    + " is not a replica id (expected: letters, digits, . : - and _, such as edge-1, or \"\" for <hostname>:<listen port>)");
        }
        ProxyConfig.Etcd etcd = readEtcd(c.section("etcd"));
        Duration ttl = c.duration("leaseTtl", DEFAULT_LEASE_TTL);
        if (ttl.compareTo(MIN_LEASE_TTL) < 0 || ttl.compareTo(MAX_LEASE_TTL) > 0) {
            c.problem(c.pathOf("leaseTtl"), Durations.format(ttl) + " is out of range (expected: from "
                    + Durations.format(MIN_LEASE_TTL) + " to " + Durations.format(MAX_LEASE_TTL) + ")");
        }
        ProxyConfig.Cluster.DrainWait drainWait = ProxyConfig.Cluster.DrainWait.valueOf(
                ConfigLoader.choice(c, "drainWait", "all", List.of("all", "self"), "a drain wait").toUpperCase(Locale.ROOT));
        c.rejectUnknownKeys();
        return Optional.of(new ProxyConfig.Cluster(name, replica, etcd, ttl, drainWait));
    }

    private static ProxyConfig.Etcd readEtcd(Section e) {
        List<URI> endpoints = new ArrayList<>();
        boolean given = e.has("endpoints");
        List<String> listed = e.textList("endpoints");
        List<String> raw = given ? listed : DEFAULT_ENDPOINTS;
        for (int i = 0; i < raw.size(); i++) {
            String item = raw.get(i);
            Optional<URI> uri = endpoint(item);
            if (uri.isPresent()) {
                endpoints.add(uri.get());
            } else if (item != null) {
                e.problem(e.pathOf("endpoints") + "[" + i + "]", Section.quote(item)
                        + " is not an etcd client URL (expected: http://host:port or https://host:port, such as http://10.0.0.5:2379)");
            }
        }
        if (raw.isEmpty()) {
            e.problem(e.pathOf("endpoints"), "is empty (expected: at least one URL, such as http://127.0.0.1:2379)");
        }
        Optional<String> username = e.text("username").filter(u -> !u.isEmpty());
        Optional<String> password = e.text("password").filter(p -> !p.isEmpty());
        if (username.isPresent() != password.isPresent()) {
            e.problem(e.pathOf(username.isPresent() ? "password" : "username"),
                    "is missing (expected: both username and password, or neither)");
        }
        Optional<ProxyConfig.EtcdTls> tls = readTls(e);
        boolean https = endpoints.stream().anyMatch(u -> u.getScheme().equals("https"));
        if (tls.isPresent() && !https) {
            e.problem(e.pathOf("tls"), "is set but no endpoint is https (expected: https:// endpoints, or no tls)");
        }
        if (https && endpoints.stream().anyMatch(u -> u.getScheme().equals("http"))) {
            e.problem(e.pathOf("endpoints"), "mixes http and https (expected: one scheme for all)");
        }
        e.rejectUnknownKeys();
        return new ProxyConfig.Etcd(endpoints, username, password, tls);
    }

    private static Optional<ProxyConfig.EtcdTls> readTls(Section e) {
        Section t = e.section("tls");
        Optional<Path> ca = file(t, "ca");
        Optional<Path> cert = file(t, "cert");
        Optional<Path> key = file(t, "key");
        if (cert.isPresent() != key.isPresent()) {
            t.problem(t.pathOf(cert.isPresent() ? "key" : "cert"), "is missing (expected: both cert and key, or neither)");
        }
        t.rejectUnknownKeys();
        return ca.isEmpty() && cert.isEmpty() ? Optional.empty() : Optional.of(new ProxyConfig.EtcdTls(ca, cert, key));
    }

    private static Optional<Path> file(Section t, String key) {
        return t.text(key).filter(v -> !v.isEmpty()).map(Path::of);
    }

    private static Optional<URI> endpoint(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(raw);
            boolean bare = (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/"))
                    && uri.getQuery() == null && uri.getFragment() == null && uri.getUserInfo() == null;
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getPort() > 0 && bare) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException e) {
            // Reported as not a URL by the caller.
        }
        return Optional.empty();
    }
}
