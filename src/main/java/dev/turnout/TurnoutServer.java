package dev.turnout;

import dev.turnout.admin.AdminServer;
import dev.turnout.admin.CertificateWatch;
import dev.turnout.admin.ConfigReloader;
import dev.turnout.admin.SwitchGate;
import dev.turnout.admin.EventStreams;
import dev.turnout.admin.LiveEvents;
import dev.turnout.admin.SwitchService;
import dev.turnout.base.Lifecycle;
import dev.turnout.cluster.ClusterNode;
import dev.turnout.cluster.ClusterState;
import dev.turnout.base.Transport;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ConfigLoader;
import dev.turnout.config.Durations;
import dev.turnout.config.HostPort;
import dev.turnout.config.ProxyConfig;
import dev.turnout.health.HealthChecker;
import dev.turnout.health.HttpProbe;
import dev.turnout.metrics.TurnoutMetrics;
import dev.turnout.proxy.AccessLog;
import dev.turnout.proxy.ProxyContext;
import dev.turnout.proxy.ProxyServer;
import dev.turnout.proxy.ServerTls;
import dev.turnout.routing.Drain;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.routing.Settle;
import dev.turnout.routing.TimeSource;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.state.StateFile;
import dev.turnout.state.SwitchHistory;
import dev.turnout.upstream.UpstreamConnector;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running Turnout: the wiring of config, routing, proxy and admin, started and stopped in order. */
public final class TurnoutServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TurnoutServer.class);

    private final TrafficSwitch traffic;
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final EventLoopGroup adminLoop;
    private final EventLoopGroup healthLoop;
    private final ScheduledExecutorService adminExecutor;
    private final Lifecycle lifecycle = new Lifecycle();
    private ProxyServer proxy;
    /** Present with {@code tls}: what the HTTPS listener serves, named in the start line, replaced by reloads. */
    private ServerTls tls;
    private TurnoutMetrics metrics;
    private AdminServer admin;
    private ConfigReloader reloader;
    /** Set up at start, stopped last: the lines of the requests that closing connections end still go out. */
    private AccessLog accessLog;
    /** Present in cluster mode; closed before the executor it runs on. */
    private ClusterNode cluster;

    private TurnoutServer(TrafficSwitch traffic, Transport transport, EventLoopGroup boss, EventLoopGroup workers,
                          EventLoopGroup adminLoop, EventLoopGroup healthLoop, ScheduledExecutorService adminExecutor) {
        this.traffic = traffic;
        this.transport = transport;
        this.boss = boss;
        this.workers = workers;
        this.adminLoop = adminLoop;
        this.healthLoop = healthLoop;
        this.adminExecutor = adminExecutor;
    }

    /**
     * Starts the proxy and admin listeners; on any failure everything already started is stopped again.
     * With {@code startup.warmup} the traffic listeners are bound at once but accept only after the warm-up.
     */
    public static TurnoutServer start(ProxyConfig config, Optional<Path> configFile) throws StartupException {
        TurnoutServer server = start(config, configFile, AccessLog::start);
        Duration warmup = config.startup().warmup();
        if (!warmup.isZero()) {
            Warmup.run(warmup, config.accessLog());
        }
        server.proxy.startAccepting();
        return server;
    }

    /** The warm-up's Turnout: it accepts at once, and its access log formats every line and drops it. */
    static TurnoutServer startRehearsal(ProxyConfig config) throws StartupException {
        TurnoutServer server = start(config, Optional.empty(), AccessLog::discarding);
        server.proxy.startAccepting();
        return server;
    }

    private static TurnoutServer start(ProxyConfig config, Optional<Path> configFile,
                                       Function<ProxyConfig.AccessLog, AccessLog> accessLogs) throws StartupException {
        Optional<StateFile> state = config.state().file().map(StateFile::new);
        Optional<StateFile.Saved> saved = readState(state);
        checkWritable(state);
        Transport transport = Transport.best();
        EventLoopGroup workers = transport.newGroup(Runtime.getRuntime().availableProcessors(), "turnout-io");
        TrafficSwitch traffic = restore(config, saved, () -> afterCurrentTasks(workers));
        SwitchHistory history = new SwitchHistory(saved.map(StateFile.Saved::history).orElse(List.of()));
        TurnoutServer server = new TurnoutServer(traffic, transport,
                transport.newGroup(1, "turnout-accept"),
                workers,
                transport.newGroup(1, "turnout-admin-io"),
                transport.newGroup(1, "turnout-health"),
                Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "turnout-admin");
                    t.setDaemon(true);
                    return t;
                }));
        try {
            TurnoutMetrics metrics = new TurnoutMetrics(traffic, server.adminExecutor);
            server.metrics = metrics;
            server.accessLog = accessLogs.apply(config.accessLog());
            ProxyContext context = new ProxyContext(traffic, new UpstreamConnector(transport), server.lifecycle, metrics,
                    server.accessLog);
            InetSocketAddress listen = address(config.listen(), "listen");
            server.proxy = bind("listen", listen, () -> ProxyServer.bind(transport, server.boss, server.workers, listen, context));
            metrics.countClientConnections(server.proxy::openConnectionsByProtocol);
            if (config.tls().isPresent()) {
                CertificateWatch watch = new CertificateWatch(traffic);
                server.tls = loadTls(config.tls().get());
                watch.start(server.adminExecutor, server.tls);
                server.tls.rotateTicketKeys(server.adminExecutor);
                InetSocketAddress tlsListen = address(config.tls().get().listen(), "tls.listen");
                bind("tls.listen", tlsListen, () -> {
                    server.proxy.bindTls(tlsListen, server.tls);
                    return tlsListen;
                });
            }
            HttpProbe probe = new HttpProbe(transport, server.healthLoop);
            EventStreams events = new EventStreams();
            LiveEvents live = LiveEvents.start(traffic, metrics, events, server.adminExecutor);
            Optional<ClusterNode> cluster = config.cluster().isPresent()
                    ? Optional.of(joinCluster(config, config.cluster().get(), traffic, history, server)) : Optional.empty();
            server.cluster = cluster.orElse(null);
            SwitchService switches = new SwitchService(traffic, state, history, new SwitchGate(probe), metrics, events, live,
                    server.adminExecutor, cluster);
            cluster.ifPresent(node -> node.start(switches::applyCommitted));
            server.reloader = new ConfigReloader(configFile, ConfigLoader.fromEnvironment(), traffic,
                    Optional.ofNullable(server.tls), server.proxy, server.adminExecutor);
            InetSocketAddress adminListen = address(config.admin().listen(), "admin.listen");
            server.admin = bind("admin.listen", adminListen,
                    () -> AdminServer.bind(transport, server.adminLoop, adminListen, traffic, switches, server.reloader,
                            Optional.ofNullable(server.tls), context.http2Abuse(), metrics, server.lifecycle, events));
            new HealthChecker(server.healthLoop.next(), probe, traffic).start();
        } catch (StartupException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /**
     * Logs the line that says Turnout is ready. The command line calls it once its signal handlers
     * are in place, so that whoever waits for this line may signal the process at once.
     */
    public void announce() {
        RoutingSnapshot s = traffic.current();
        String https = proxy.tlsAddress().map(a -> ", https on " + hostPort(a) + " (" + tls.providerName() + ")").orElse("");
        log.info("turnout listening on {} ({}){}, admin on {}; pools {}; active {} (generation {})",
                hostPort(proxyAddress()), transport.name(), https, hostPort(adminAddress()),
                s.pools().stream().map(p -> p.name() + " " + p.backends()).collect(Collectors.joining(", ")),
                s.active().name(), s.generation());
    }

    /**
     * This replica's place in the cluster: its id ({@code <hostname>:<listen port>} by default), the state it
     * applied last (the state file is then the cache of the cluster's), and the record others see of it.
     */
    private static ClusterNode joinCluster(ProxyConfig config, ProxyConfig.Cluster cluster, TrafficSwitch traffic,
                                           SwitchHistory history, TurnoutServer server) throws StartupException {
        String address = hostname() + ":" + server.proxy.localAddress().getPort();
        String replica = cluster.replica().isEmpty() ? address : cluster.replica();
        RoutingSnapshot s = traffic.current();
        ClusterState local = new ClusterState(s.active().name(), s.previous().map(Pool::name), s.generation(), s.poolNames(),
                history.records(), 0);
        String version = Turnout.class.getPackage().getImplementationVersion();
        Map<String, Object> record = Map.of("address", address,
                "version", version == null ? "development build" : version, "configDigest", digest(config));
        try {
            return ClusterNode.connect(cluster, replica, local, server.adminExecutor, record);
        } catch (IOException e) {
            throw new StartupException(e.getMessage());
        }
    }

    private static String hostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    /** A short fingerprint of the config in force, to tell replicas that run different configs apart. */
    private static String digest(ProxyConfig config) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(config.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Optional<StateFile.Saved> readState(Optional<StateFile> state) throws StartupException {
        try {
            return state.isPresent() ? state.get().read() : Optional.empty();
        } catch (IOException | RuntimeException e) {
            String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new StartupException("cannot read state file " + state.get().path() + ": " + reason
                    + " (fix or remove it; it remembers the active pool and the flip history)");
        }
    }

    private static void checkWritable(Optional<StateFile> state) throws StartupException {
        if (state.isPresent()) {
            try {
                state.get().checkWritable();
            } catch (IOException e) {
                throw new StartupException("state.file: cannot write " + state.get().path() + ": " + e.getMessage()
                        + " (every flip saves the active pool there)");
            }
        }
    }

    /**
     * Completes once each event loop has finished the task it is running now: a request reads the
     * routing snapshot and counts itself on its backend within one task (see {@link Settle}).
     */
    private static CompletableFuture<Void> afterCurrentTasks(EventLoopGroup loops) {
        List<CompletableFuture<Void>> passed = new ArrayList<>();
        for (EventExecutor loop : loops) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            try {
                loop.execute(() -> done.complete(null));
            } catch (RejectedExecutionException stopping) {
                // A loop that shut down runs no request any more.
                done.complete(null);
            }
            passed.add(done);
        }
        return CompletableFuture.allOf(passed.toArray(CompletableFuture[]::new));
    }

    private static TrafficSwitch restore(ProxyConfig config, Optional<StateFile.Saved> saved, Settle settle) {
        boolean known = saved.isPresent() && config.pools().stream().anyMatch(p -> p.name().equals(saved.get().active()));
        if (saved.isPresent() && !known) {
            log.warn("state file names pool \"{}\", which proxy.yaml no longer has; starting with \"{}\"",
                    saved.get().active(), config.active());
        }
        return known
                ? TrafficSwitch.start(config, saved.get().active(), saved.get().previous(), saved.get().generation(),
                        TimeSource.SYSTEM, settle)
                : TrafficSwitch.start(config, config.active(), Optional.empty(), saved.map(StateFile.Saved::generation).orElse(1L),
                        TimeSource.SYSTEM, settle);
    }

    private static ServerTls loadTls(ProxyConfig.Tls tls) throws StartupException {
        try {
            return ServerTls.load(tls);
        } catch (ConfigException e) {
            throw new StartupException(e.getMessage());
        }
    }

    private static InetSocketAddress address(HostPort hostPort, String key) throws StartupException {
        InetSocketAddress address = hostPort.toSocketAddress();
        if (address.isUnresolved()) {
            throw new StartupException(key + ": cannot resolve host \"" + hostPort.host() + "\"");
        }
        return address;
    }

    private static String hostPort(InetSocketAddress address) {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    private interface Binder<T> {
        T bind() throws Exception;
    }

    private static <T> T bind(String key, InetSocketAddress address, Binder<T> binder) throws StartupException {
        try {
            return binder.bind();
        } catch (Exception e) {
            String message = String.valueOf(e.getMessage());
            String reason = message.contains("Address already in use") ? "address already in use"
                    : message.contains("Permission denied") ? "permission denied (ports below 1024 need privileges)"
                    : message.contains("Cannot assign requested address") ? "no such local address"
                    : message;
            throw new StartupException(key + ": cannot listen on " + hostPort(address) + ": " + reason);
        }
    }

    /** Re-reads the config file, as POST /admin/reload does. */
    public CompletableFuture<ConfigReloader.Result> reload() {
        return reloader.reload();
    }

    /**
     * Stops without dropping a request: the admin /health and edgeHealth.path answer 503, while the
     * listeners still serve for shutdown.delay; then no new connections, idle keep-alive connections
     * close, busy ones close after their answer, every pool drains; returns once all connections are
     * gone or drain.timeout has passed after the delay, with everything closed. An interrupt ends the
     * delay early.
     */
    public void stopGracefully() {
        lifecycle.beginStopping();
        boolean interrupted = waitShutdownDelay();
        lifecycle.beginClosing();
        proxy.stopAccepting();
        proxy.closeIdleConnections();
        Duration timeout = traffic.current().config().drain().timeout();
        List<Drain> drains = traffic.retireAll();
        CompletableFuture<?>[] drained = drains.stream().map(d -> d.await(timeout, adminExecutor)).toArray(CompletableFuture[]::new);
        // The drains end with the last exchange; its connection closes a moment later, after its last bytes.
        boolean finished = CompletableFuture.allOf(CompletableFuture.allOf(drained), proxy.allClosed())
                .thenApply(all -> true).completeOnTimeout(false, timeout.toNanos(), TimeUnit.NANOSECONDS).join();
        if (finished) {
            log.info("stopped: every connection finished");
        } else {
            log.warn("stopping with {} connection(s) still busy after drain.timeout, {} request(s) in flight",
                    proxy.openConnections(), drains.stream().mapToInt(d -> d.report().remaining()).sum());
        }
        close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Serves on for shutdown.delay with the health answering 503; returns whether an interrupt cut it short. */
    private boolean waitShutdownDelay() {
        ProxyConfig config = traffic.current().config();
        Duration delay = config.shutdown().delay();
        if (delay.isZero()) {
            return false;
        }
        log.info("shutdown.delay: answering {} with 503 and still serving for {}, then closing the listeners",
                config.edgeHealth().path().orElse("the admin /health"), Durations.format(delay));
        try {
            Thread.sleep(delay.toMillis());
            return false;
        } catch (InterruptedException e) {
            log.info("shutdown.delay cut short");
            return true;
        }
    }

    public TrafficSwitch traffic() {
        return traffic;
    }

    public InetSocketAddress proxyAddress() {
        return proxy.localAddress();
    }

    /** The HTTPS listener's address, with {@code tls}. */
    public Optional<InetSocketAddress> tlsAddress() {
        return proxy.tlsAddress();
    }

    public InetSocketAddress adminAddress() {
        return admin.localAddress();
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        adminExecutor.shutdownNow();
        try {
            // A drain that the closing connections ended may be answering its switch call right now;
            // the admin loop that writes the answer must outlive that.
            adminExecutor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        healthLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        adminLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        transport.close();
        workers.terminationFuture().syncUninterruptibly();
        if (accessLog != null) {
            accessLog.stop();
        }
        if (tls != null) {
            // Last: no reload, rotation or handshake is left to use them.
            tls.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    /** A start that failed for a reason the operator can fix; its message is the one line they see. */
    public static final class StartupException extends Exception {
        public StartupException(String message) {
            super(message, null, false, false);
        }
    }
}
