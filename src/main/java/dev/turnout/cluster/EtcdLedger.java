package dev.turnout.cluster;

import dev.turnout.config.ProxyConfig;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The cluster's keys in etcd, under {@code /turnout/<name>/}: {@code state} (the {@link ClusterState}),
 * {@code replicas/<id>} (each replica's lease-bound record) and {@code replicas/<id>/drains/<generation>}
 * (its drain of a flip). Only I/O: every call is asynchronous and bounded by {@link #TIMEOUT}, so a
 * dead etcd costs a failed future, never a hung thread.
 */
public final class EtcdLedger implements AutoCloseable {

    /**
     * An etcd that has not answered in this long counts as unreachable for this call: longer than a
     * leader election after a member is lost (etcd's default election timeout is 1 s), short enough
     * that a switch call with etcd down answers 503 promptly.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** How long jetcd may retry a failed call: over before {@link #TIMEOUT}, so none is retried after it. */
    private static final Duration RETRIES = Duration.ofSeconds(3);
    private static final String REPLICAS = "replicas/";
    private static final String DRAINS = "/drains/";

    /** A state as read, with the revision a compare-and-set of it compares. */
    public record Versioned(ClusterState state, long revision) {}

    /** A compare-and-set's outcome: won, or lost to {@code current} (empty when nothing is there). */
    public record Outcome(boolean won, Optional<Versioned> current) {}

    private final Client client;
    private final KV kv;
    private final String prefix;

    private EtcdLedger(Client client, String prefix) {
        this.client = client;
        this.kv = client.getKVClient();
        this.prefix = prefix;
    }

    /** A client for {@code etcd}; it connects lazily, so this never fails for an etcd that is down. */
    public static EtcdLedger connect(ProxyConfig.Cluster cluster) throws IOException {
        ProxyConfig.Etcd etcd = cluster.etcd();
        // A call must never reach etcd after this replica gave up on it: a switch answered 503 must not
        // flip later. So no call waits for a connection (jetcd's default queues it until etcd is back),
        // and retries stop well before a call's bound.
        ClientBuilder builder = Client.builder().endpoints(etcd.endpoints().toArray(URI[]::new))
                .connectTimeout(TIMEOUT).keepaliveTime(Duration.ofSeconds(5)).keepaliveTimeout(TIMEOUT)
                .waitForReady(false).retryMaxDuration(RETRIES);
        if (etcd.username().isPresent() && etcd.password().isPresent()) {
            builder.user(bytes(etcd.username().get())).password(bytes(etcd.password().get()));
        }
        if (etcd.tls().isPresent()) {
            ProxyConfig.EtcdTls tls = etcd.tls().get();
            SslContextBuilder ssl = GrpcSslContexts.forClient();
            try {
                if (tls.ca().isPresent()) {
                    ssl.trustManager(tls.ca().get().toFile());
                }
                if (tls.cert().isPresent()) {
                    ssl.keyManager(tls.cert().get().toFile(), tls.key().orElseThrow().toFile());
                }
            } catch (IllegalArgumentException e) {
                throw new IOException("cluster.etcd.tls: cannot read " + tls + ": " + e.getMessage(), e);
            }
            try {
                builder.sslContext(ssl.build());
            } catch (IOException | IllegalArgumentException e) {
                throw new IOException("cluster.etcd.tls: cannot use " + tls + ": " + e.getMessage(), e);
            }
        }
        return new EtcdLedger(builder.build(), "/turnout/" + cluster.name() + "/");
    }

    public CompletableFuture<Optional<Versioned>> state() {
        return bounded(kv.get(key("state"))).thenApply(r -> r.getKvs().isEmpty() ? Optional.empty()
                : Optional.of(versioned(r.getKvs().get(0))));
    }

    /** Writes {@code first} when the cluster has no state yet; otherwise loses to the state there. */
    public CompletableFuture<Outcome> create(ClusterState first) {
        return cas(new Cmp(key("state"), Cmp.Op.EQUAL, CmpTarget.version(0)), first);
    }

    /** Writes {@code next} if the state is still {@code expected}; otherwise loses to the state there. */
    public CompletableFuture<Outcome> compareAndSet(Versioned expected, ClusterState next) {
        return cas(new Cmp(key("state"), Cmp.Op.EQUAL, CmpTarget.modRevision(expected.revision())), next);
    }

    private CompletableFuture<Outcome> cas(Cmp condition, ClusterState next) {
        ByteSequence state = key("state");
        return bounded(kv.txn().If(condition).Then(Op.put(state, ByteSequence.from(next.toJson()), PutOption.DEFAULT))
                .Else(Op.get(state, GetOption.DEFAULT)).commit())
                .thenApply(r -> r.isSucceeded() ? new Outcome(true, Optional.of(new Versioned(next, r.getHeader().getRevision())))
                        : new Outcome(false, r.getGetResponses().get(0).getKvs().stream().findFirst().map(EtcdLedger::versioned)));
    }

    /**
     * Calls {@code onState} with every state written after {@code revision}, in order, on jetcd's
     * thread; {@code onError} when the watch breaks (jetcd retries it while etcd is away).
     */
    public Watch.Watcher watchState(long revision, Consumer<Versioned> onState, Consumer<Throwable> onError) {
        return client.getWatchClient().watch(key("state"), WatchOption.builder().withRevision(revision + 1).build(),
                Watch.listener(response -> response.getEvents().forEach(e -> {
                    if (e.getEventType() == io.etcd.jetcd.watch.WatchEvent.EventType.PUT) {
                        onState.accept(versioned(e.getKeyValue()));
                    }
                }), onError));
    }

    /** A lease of {@code ttl}: the replica's keys live as long as it is renewed. */
    public CompletableFuture<Long> grantLease(Duration ttl) {
        return bounded(client.getLeaseClient().grant(ttl.toSeconds())).thenApply(r -> r.getID());
    }

    /** Renews the lease once; fails when etcd is unreachable or the lease expired meanwhile. */
    public CompletableFuture<Void> renew(long lease) {
        return bounded(client.getLeaseClient().keepAliveOnce(lease)).thenAccept(r -> {
            if (r.getTTL() <= 0) {
                throw new IllegalStateException("lease " + Long.toHexString(lease) + " expired");
            }
        });
    }

    public CompletableFuture<Void> revoke(long lease) {
        return bounded(client.getLeaseClient().revoke(lease)).thenAccept(r -> { });
    }

    public CompletableFuture<Void> putReplica(String id, byte[] record, long lease) {
        return put(REPLICAS + id, record, lease);
    }

    public CompletableFuture<Void> putDrain(String id, long generation, byte[] report, long lease) {
        return put(REPLICAS + id + DRAINS + generation, report, lease);
    }

    /** Forgets an old drain report: they would otherwise pile up for as long as the replica lives. */
    public CompletableFuture<Void> deleteDrain(String id, long generation) {
        return bounded(kv.delete(key(REPLICAS + id + DRAINS + generation))).thenAccept(r -> { });
    }

    private CompletableFuture<Void> put(String name, byte[] value, long lease) {
        return bounded(kv.put(key(name), ByteSequence.from(value), PutOption.builder().withLeaseId(lease).build()))
                .thenAccept(r -> { });
    }

    /** Every live replica's record, by id. */
    public CompletableFuture<Map<String, byte[]>> replicas() {
        return underReplicas().thenApply(all -> {
            Map<String, byte[]> replicas = new LinkedHashMap<>();
            all.forEach((rest, value) -> {
                if (!rest.contains("/")) {
                    replicas.put(rest, value);
                }
            });
            return replicas;
        });
    }

    /** The drain reports of {@code generation}, by replica id. */
    public CompletableFuture<Map<String, byte[]>> drains(long generation) {
        String suffix = DRAINS + generation;
        return underReplicas().thenApply(all -> {
            Map<String, byte[]> drains = new LinkedHashMap<>();
            all.forEach((rest, value) -> {
                if (rest.endsWith(suffix) && rest.indexOf('/') == rest.length() - suffix.length()) {
                    drains.put(rest.substring(0, rest.length() - suffix.length()), value);
                }
            });
            return drains;
        });
    }

    private CompletableFuture<Map<String, byte[]>> underReplicas() {
        ByteSequence start = key(REPLICAS);
        return bounded(kv.get(start, GetOption.builder().isPrefix(true).build())).thenApply(r -> {
            Map<String, byte[]> all = new LinkedHashMap<>();
            int skip = (prefix + REPLICAS).length();
            for (KeyValue entry : r.getKvs()) {
                all.put(entry.getKey().toString(StandardCharsets.UTF_8).substring(skip), entry.getValue().getBytes());
            }
            return all;
        });
    }

    private ByteSequence key(String name) {
        return bytes(prefix + name);
    }

    private static <T> CompletableFuture<T> bounded(CompletableFuture<T> call) {
        return call.orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Versioned versioned(KeyValue entry) {
        try {
            return new Versioned(ClusterState.fromJson(entry.getValue().getBytes()), entry.getModRevision());
        } catch (IOException e) {
            throw new IllegalStateException(entry.getKey().toString(StandardCharsets.UTF_8) + " in etcd: " + e.getMessage(), e);
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        client.close();
    }
}
