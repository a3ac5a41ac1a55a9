package dev.turnout.metrics;

import dev.turnout.routing.Backend;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.state.FlipReason;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every meter of Turnout, in one Prometheus registry, served as {@code GET /metrics}. The names are
 * those of issue 12 (Micrometer turns {@code turnout.requests} into {@code turnout_requests_total});
 * labels are pools, backends, status classes and reasons, never a path or an address.
 *
 * <p>Counters and timers are recorded where things happen, on event loops: each is looked up once
 * per backend or pool and kept on it ({@link Backend#meters()}), so a request costs a few adds, no
 * lookup, no lock, and no clock call ({@link CoarseClock}). Gauges of
 * live state (in flight, health, the active pool, connections) are read from the routing snapshot
 * when the registry is scraped, so pools and backends a reload adds or removes come and go with it.
 */
public final class TurnoutMetrics implements AutoCloseable {

    /** The label value of answers Turnout gave before a request was routed. */
    static final String REFUSED = "refused";
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    /**
     * The upper bounds of the duration histograms' buckets ({@code le}), plus {@code +Inf}: 1 ms to 10 minutes,
     * because streams of an LLM answer last minutes. Nineteen buckets rather than the ~70 of Micrometer's
     * percentile histogram: a record's bucket search is shorter, a scrape smaller, and {@code histogram_quantile}
     * still finds p50 and p99 within a bucket of these.
     */
    static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1),
        Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofMinutes(10)};

    /** How a new upstream connection went. */
    public enum ConnectResult {
        OK("ok"), REFUSED("refused"), TIMEOUT("timeout"), ERROR("error");

        private final String label;

        ConnectResult(String label) {
            this.label = label;
        }
    }

    private final CoarseClock clock = new CoarseClock();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
    private final ScheduledFuture<?> ticks;
    private final TrafficSwitch traffic;
    private final ConcurrentMap<Integer, Counter> clientRefusals = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Counter> switchRefusals = new ConcurrentHashMap<>();
    private final Map<FlipReason, Counter> flips = new EnumMap<>(FlipReason.class);
    private final Counter refusedRequests;
    private final Timer drains;
    private final MultiGauge inFlight;
    private final MultiGauge backendUp;
    private final MultiGauge activePool;
    private final MultiGauge upstreamConnections;
    private final MultiGauge clientConnections;
    private volatile Supplier<Map<String, Integer>> clientConnectionCounts = Map::of;
    /** Listens to the JVM's GC notifications until closed. */
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /** @param ticker where the registry's clock is moved on, once a second, until closed */
    public TurnoutMetrics(TrafficSwitch traffic, ScheduledExecutorService ticker) {
        this.traffic = traffic;
        ticks = ticker.scheduleAtFixedRate(clock::tick, 1, 1, TimeUnit.SECONDS);
        refusedRequests = requestCounter("", "", REFUSED);
        for (FlipReason reason : FlipReason.values()) {
            flips.put(reason, Counter.builder("turnout.flips").description("flips of the active pool")
                    .tag("reason", reason.toString()).register(registry));
        }
        drains = histogram(Timer.builder("turnout.drain.duration").description("from a flip to its old pool's drain end"));
        Gauge.builder("turnout.generation", traffic, t -> t.current().generation()).description("routing generation")
                .register(registry);
        inFlight = MultiGauge.builder("turnout.inflight.requests").description("open exchanges and tunnels").register(registry);
        backendUp = MultiGauge.builder("turnout.backend.up").description("1 healthy, 0 not").register(registry);
        activePool = MultiGauge.builder("turnout.active.pool").description("1 for the active pool, 0 for the others").register(registry);
        upstreamConnections = MultiGauge.builder("turnout.upstream.connections").description("connections to backends")
                .register(registry);
        clientConnections = MultiGauge.builder("turnout.client.connections").description("open client connections")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
    }

    /** Where the open client connections by protocol ({@code http1}, {@code h2}, {@code tunnel}) are counted when scraped. */
    public void countClientConnections(Supplier<Map<String, Integer>> counts) {
        this.clientConnectionCounts = counts;
    }

    /**
     * One exchange that ended, after routing, once.
     *
     * @param status          the status the client got; 0 when it got none (it hung up first: nginx's 499)
     * @param firstByteNanos  from the request sent upstream to the response head, or -1 when no head came
     */
    public void exchange(Pool pool, Backend backend, int status, long durationNanos, long firstByteNanos, int attempts) {
        PoolMeters p = pool(pool);
        backend(backend).requests[statusClass(status == 0 ? 499 : status)].increment();
        p.duration.record(durationNanos, TimeUnit.NANOSECONDS);
        if (firstByteNanos >= 0) {
            p.firstByte.record(firstByteNanos, TimeUnit.NANOSECONDS);
        }
        if (attempts > 1) {
            p.retries.increment(attempts - 1);
        }
    }

    /** A request Turnout answered itself before routing it (400, 405, 408, 413, 414, 431, 503, a redirect). */
    public void refused(int code) {
        refusedRequests.increment();
        clientRefused(code);
    }

    /** A client refused at the edge: before routing, or after it for its own fault (408 for a stalled body, 413). */
    public void clientRefused(int code) {
        clientRefusals.computeIfAbsent(code, c -> Counter.builder("turnout.client.refusals")
                .description("requests refused at the edge").tag("code", Integer.toString(c)).register(registry)).increment();
    }

    public void connect(Backend backend, ConnectResult result) {
        backend(backend).connects[result.ordinal()].increment();
    }

    public void flip(FlipReason reason) {
        flips.get(reason).increment();
    }

    public void drained(Duration took) {
        drains.record(took);
    }

    /** The switch gate refused a flip for {@code reason} ({@code unhealthy}, {@code probe}, {@code smoke}). */
    public void switchRefused(String reason) {
        switchRefusals.computeIfAbsent(reason, r -> Counter.builder("turnout.switch.refusals").description("switch gate refusals")
                .tag("reason", r).register(registry)).increment();
    }

    /**
     * What {@code pool} has served since Turnout started, summed over its backends, read from the
     * registry (so a backend a reload rebuilt is not counted twice). Once a second is cheap; per
     * request it is not.
     */
    public PoolTotals poolTotals(String pool) {
        long requests = 0;
        long errors = 0;
        for (Counter c : registry.find("turnout.requests").tag("pool", pool).counters()) {
            long n = (long) c.count();
            requests += n;
            if ("5xx".equals(c.getId().getTag("status"))) {
                errors += n;
            }
        }
        Timer duration = registry.find("turnout.request.duration").tag("pool", pool).timer();
        if (duration == null) {
            return new PoolTotals(requests, errors, new double[0], new long[0]);
        }
        HistogramSnapshot snapshot = duration.takeSnapshot();
        CountAtBucket[] buckets = snapshot.histogramCounts();
        double[] bounds = new double[buckets.length];
        long[] cumulative = new long[buckets.length];
        for (int i = 0; i < buckets.length; i++) {
            bounds[i] = buckets[i].bucket(TimeUnit.MILLISECONDS);
            cumulative[i] = (long) buckets[i].count();
        }
        return new PoolTotals(requests, errors, bounds, cumulative);
    }

    /** The registry's meters in the Prometheus text format, or OpenMetrics when {@code accept} asks for it. */
    public String scrape(String accept) {
        refreshGauges();
        return registry.scrape(contentType(accept));
    }

    /** Stops listening to the JVM (its GC notifications) and frees the registry. */
    @Override
    public void close() {
        ticks.cancel(false);
        gc.close();
        registry.close();
    }

    /** The content type {@link #scrape} answers for {@code accept}. */
    public static String contentType(String accept) {
        return accept == null || !accept.contains("application/openmetrics-text")
                ? "text/plain; version=0.0.4; charset=utf-8" : "application/openmetrics-text; version=1.0.0; charset=utf-8";
    }

    private void refreshGauges() {
        RoutingSnapshot snapshot = traffic.current();
        List<MultiGauge.Row<?>> inFlightRows = new ArrayList<>();
        List<MultiGauge.Row<?>> upRows = new ArrayList<>();
        List<MultiGauge.Row<?>> activeRows = new ArrayList<>();
        List<MultiGauge.Row<?>> connectionRows = new ArrayList<>();
        for (Pool pool : snapshot.pools()) {
            activeRows.add(MultiGauge.Row.of(Tags.of("pool", pool.name()), pool == snapshot.active() ? 1 : 0));
            for (Backend b : pool.backends()) {
                Tags tags = Tags.of("pool", pool.name(), "backend", b.toString());
                int idle = b.idle().count();
                inFlightRows.add(MultiGauge.Row.of(tags, b.inFlight()));
                upRows.add(MultiGauge.Row.of(tags, b.health().healthy() ? 1 : 0));
                connectionRows.add(MultiGauge.Row.of(tags.and("state", "idle"), idle));
                connectionRows.add(MultiGauge.Row.of(tags.and("state", "busy"), Math.max(0, b.idle().open() - idle)));
            }
        }
        inFlight.register(inFlightRows, true);
        backendUp.register(upRows, true);
        activePool.register(activeRows, true);
        upstreamConnections.register(connectionRows, true);
        List<MultiGauge.Row<?>> clientRows = new ArrayList<>();
        clientConnectionCounts.get().forEach((protocol, n) -> clientRows.add(MultiGauge.Row.of(Tags.of("protocol", protocol), n)));
        clientConnections.register(clientRows, true);
    }

    /**
     * The backend's meters, from its slot: a map lookup per request cost as much as the counting. Made
     * the first time it serves; two loops racing there make two holders of the same registered meters
     * (registering an existing name and tags returns that meter), so nothing needs a map or a lock.
     */
    private BackendMeters backend(Backend backend) {
        if (backend.meters() instanceof BackendMeters kept && kept.owner() == this) {
            return kept;
        }
        BackendMeters meters = new BackendMeters(backend.pool(), backend.toString());
        backend.meters(meters);
        return meters;
    }

    /** The pool's meters, from its slot; by name the first time, so a pool a reload rebuilt counts on the same series. */
    private PoolMeters pool(Pool pool) {
        if (pool.meters() instanceof PoolMeters kept && kept.owner() == this) {
            return kept;
        }
        PoolMeters meters = new PoolMeters(pool.name());
        pool.meters(meters);
        return meters;
    }

    private Counter requestCounter(String pool, String backend, String status) {
        return Counter.builder("turnout.requests").description("completed exchanges, counted once each")
                .tags("pool", pool, "backend", backend, "status", status).register(registry);
    }

    private Timer histogram(Timer.Builder builder) {
        return builder.serviceLevelObjectives(BUCKETS).register(registry);
    }

    private static int statusClass(int status) {
        return Math.min(4, Math.max(0, status / 100 - 1));
    }

    /**
     * The registry's wall clock: a field moved on once a second. Micrometer reads the wall clock twice per
     * timer record (its max's time window and its histogram's rotation check): four {@code currentTimeMillis}
     * calls per exchange, which cost more than all the counting did. A second is fine for both: the max is
     * over a two-minute window, the Prometheus histogram is cumulative and never rotates.
     */
    private static final class CoarseClock implements Clock {
        private volatile long wallMillis = System.currentTimeMillis();

        void tick() {
            wallMillis = System.currentTimeMillis();
        }

        @Override
        public long wallTime() {
            return wallMillis;
        }

        @Override
        public long monotonicTime() {
            return System.nanoTime();
        }
    }

    /** The meters of one backend, made the first time it serves. */
    private final class BackendMeters {
        final Counter[] requests = new Counter[STATUS_CLASSES.length];
        final Counter[] connects = new Counter[ConnectResult.values().length];

        BackendMeters(String pool, String backend) {
            for (int i = 0; i < STATUS_CLASSES.length; i++) {
                requests[i] = requestCounter(pool, backend, STATUS_CLASSES[i]);
            }
            for (ConnectResult result : ConnectResult.values()) {
                connects[result.ordinal()] = Counter.builder("turnout.upstream.connects").description("new upstream connections")
                        .tags("pool", pool, "backend", backend, "result", result.label).register(registry);
            }
        }

        TurnoutMetrics owner() {
            return TurnoutMetrics.this;
        }
    }

    /** The meters of one pool, by name: a reload that rebuilds a pool keeps counting on the same series. */
    private final class PoolMeters {
        final Timer duration;
        final Timer firstByte;
        final Counter retries;

        PoolMeters(String pool) {
            duration = histogram(Timer.builder("turnout.request.duration").description("from request head to the end of the response")
                    .tag("pool", pool));
            firstByte = histogram(Timer.builder("turnout.upstream.first.byte")
                    .description("from the request sent upstream to the first response byte").tag("pool", pool));
            retries = Counter.builder("turnout.retries").description("extra attempts").tag("pool", pool).register(registry);
        }

        TurnoutMetrics owner() {
            return TurnoutMetrics.this;
        }
    }
}
