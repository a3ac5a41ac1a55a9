package dev.turnout;

import dev.turnout.base.LogSettings;
import dev.turnout.config.CertificateCheck;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ConfigLoader;
import dev.turnout.config.Durations;
import dev.turnout.config.ProxyConfig;
import dev.turnout.demo.DemoBackend;
import dev.turnout.base.Transport;
import dev.turnout.cli.OperatorCommands;
import dev.turnout.upstream.IdleConnections;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ResourceLeakDetector;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The command line: run the proxy (default), {@code check} a config, or start the {@code demo}; the
 * operator's commands ({@code status}, {@code switch}, ...) come from {@link OperatorCommands}.
 */
@Command(name = "turnout", mixinStandardHelpOptions = true, versionProvider = Turnout.Version.class,
        description = "An edge proxy that flips traffic between blue and green pools without dropping a request.",
        subcommands = {Turnout.Check.class, Turnout.Demo.class, Train.class})
public final class Turnout implements Callable<Integer> {

    static final int EXIT_STARTUP_FAILED = 1;
    static final int EXIT_INVALID_CONFIG = 2;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "./proxy.yaml",
            description = "proxy.yaml to run with (default: ${DEFAULT-VALUE})")
    Path config;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Netty's default leak sampling costs about a fifth of the proxy's throughput here (bench/); the
        // tests run every buffer at PARANOID instead. -Dio.netty.leakDetection.level=simple turns it back on.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return commandLine(System::getenv);
    }

    /** {@code environment} gives the operator's commands their {@code TURNOUT_ADMIN_TOKEN}. */
    static CommandLine commandLine(Function<String, String> environment) {
        return OperatorCommands.register(new CommandLine(new Turnout()), environment);
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        ProxyConfig loaded;
        try {
            loaded = ConfigLoader.fromEnvironment().load(config);
        } catch (ConfigException e) {
            e.problems().forEach(p -> err.println("turnout: " + p));
            err.flush();
            return EXIT_STARTUP_FAILED;
        }
        return runUntilStopped(loaded, Optional.of(config), err, Optional.empty());
    }

    /**
     * Runs until SIGTERM or SIGINT, then stops gracefully (a second signal exits at once);
     * SIGHUP reloads the config file.
     */
    static int runUntilStopped(ProxyConfig config, Optional<Path> file, PrintWriter err, Optional<Runnable> onStop)
            throws InterruptedException {
        // Before anything is logged, so that the start line has the format asked for.
        LogSettings.apply(config.logging().level(), config.logging().format());
        TurnoutServer server;
        try {
            server = TurnoutServer.start(config, file);
        } catch (TurnoutServer.StartupException e) {
            err.println("turnout: " + e.getMessage());
            err.flush();
            onStop.ifPresent(Runnable::run);
            return EXIT_STARTUP_FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        SignalHandler stop = signal -> {
            if (stopping.getAndSet(true)) {
                Runtime.getRuntime().halt(0);
            }
            LoggerFactory.getLogger(Turnout.class).info("SIG{}: stopping gracefully (send it again to exit at once)", signal.getName());
            Thread t = new Thread(() -> {
                try {
                    server.stopGracefully();
                    onStop.ifPresent(Runnable::run);
                } finally {
                    // Whatever went wrong while stopping, the process must not outlive the request to stop.
                    stopped.countDown();
                }
            }, "turnout-stop");
            t.start();
        };
        Signal.handle(new Signal("TERM"), stop);
        Signal.handle(new Signal("INT"), stop);
        Signal.handle(new Signal("HUP"), signal -> server.reload());
        server.announce();
        stopped.await();
        return 0;
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a config like nginx -t: exit 0 with a summary, or 2 with one line per problem.")
    static final class Check implements Callable<Integer> {

        @Option(names = "--config", paramLabel = "FILE",
                description = "proxy.yaml to check (default: the --config given before check, else ./proxy.yaml)")
        Path config;

        @CommandLine.ParentCommand
        Turnout parent;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Path file = config != null ? config : parent.config;
            try {
                ProxyConfig c = ConfigLoader.fromEnvironment().load(file);
                String certificates = certificates(c, Instant.now());
                spec.commandLine().getOut().print(summary(file, c) + certificates);
                spec.commandLine().getOut().flush();
                return 0;
            } catch (ConfigException e) {
                PrintWriter err = spec.commandLine().getErr();
                e.problems().forEach(err::println);
                err.flush();
                return EXIT_INVALID_CONFIG;
            }
        }

        static String summary(Path file, ProxyConfig c) {
            ProxyConfig.Upstream up = c.upstream();
            ProxyConfig.Keepalive ka = up.keepalive();
            String pools = c.pools().stream()
                    .map(p -> String.format("%-14s%s: %s", "", p.name(),
                            p.backends().stream().map(Object::toString).collect(Collectors.joining(", "))))
                    .collect(Collectors.joining("\n")).substring(14);
            return String.format("""
                    %s: ok
                      listen      %s
                      admin       %s
                      pools       %s
                      active      %s (used until the state file says otherwise)
                      state file  %s
                      upstream    connect %s, first byte %s, read %s, write %s
                      keepalive   %s idle per backend per event loop, idle %s, %d requests per connection
                      drain       timeout %s, tunnels %s
                      startup     %s
                      shutdown    %s
                      health      GET %s every %s, timeout %s, healthy after %d passes, unhealthy after %d failures
                      edge health %s
                      switch      at least %d healthy backend(s), %d smoke request(s)%s
                      retry       %d attempt(s) per request
                      preview     %s
                      rollback    %s
                      limits      request line %d B, headers %d B in at most %d fields, body %s, header timeout %s, idle %s, %d connections, tunnel idle %s
                      headers     names with _ %s
                      admin auth  %s; trusted proxies: %s
                      tls         %s
                      http2       at most %d streams per connection, window %d B, header list %d B, cleartext (h2c) %s
                      access log  %s
                      logging     %s and above, as %s
                      cluster     %s
                    """,
                    file, c.listen(), c.admin().listen(), pools, c.active(),
                    c.state().file().map(Path::toString).orElse("(none)"),
                    Durations.format(up.connectTimeout()), Durations.format(up.firstByteTimeout()), Durations.format(up.readTimeout()), Durations.format(up.writeTimeout()),
                    ka.maxIdlePerBackend().isPresent() ? String.valueOf(ka.maxIdlePerBackend().getAsInt())
                            : "auto (the recent peak of busy ones, at most " + IdleConnections.CEILING + ")", Durations.format(ka.idleTimeout()), ka.maxRequestsPerConnection(),
                    Durations.format(c.drain().timeout()),
                    c.drain().closeTunnels().map(d -> "closed " + Durations.format(d) + " after their pool is retired")
                            .orElse("kept until they end"),
                    c.startup().warmup().isZero() ? "accepts at once" : "warms up for " + Durations.format(c.startup().warmup())
                            + " on loopback before the listeners accept",
                    c.shutdown().delay().isZero() ? "no delay" : "edge health 503 for " + Durations.format(c.shutdown().delay())
                            + " before the listeners close",
                    c.health().path(), Durations.format(c.health().interval()), Durations.format(c.health().timeout()),
                    c.health().rise(), c.health().fall(),
                    c.edgeHealth().path().map(p -> p + " on the traffic listeners, answered by Turnout").orElse("off"),
                    c.gate().minHealthy(), c.gate().smoke().size(),
                    c.gate().smoke().stream().map(s -> " " + s.method() + " " + s.path() + " " + s.expect())
                            .collect(Collectors.joining(",", c.gate().smoke().isEmpty() ? "" : ":", "")),
                    c.retry().attempts(),
                    c.preview().header().isEmpty() && !c.preview().pathPrefix() ? "off"
                            : "header " + c.preview().header().orElse("(off)") + ", path prefix " + (c.preview().pathPrefix() ? "on" : "off"),
                    c.rollback().auto() ? "automatic above the old pool's error rate + " + c.rollback().maxErrorRate() + " over "
                            + c.rollback().minRequests() + "+ requests from " + c.rollback().minClients() + "+ clients within "
                            + Durations.format(c.rollback().window()) : "manual only",
                    c.limits().maxRequestLine(), c.limits().maxHeaderBytes(), c.limits().maxHeaders(),
                    c.limits().maxBodyBytes() == 0 ? "unlimited" : c.limits().maxBodyBytes() + " B",
                    Durations.format(c.limits().headerTimeout()), Durations.format(c.limits().idleTimeout()), c.limits().maxConnections(),
                    Durations.format(c.limits().tunnelIdleTimeout()),
                    c.headers().allowUnderscores() ? "forwarded" : "dropped",
                    c.admin().token().isPresent() ? "bearer token" : "none (loopback only)",
                    c.trustedProxies().isEmpty() ? "none" : c.trustedProxies().stream().map(Object::toString).collect(Collectors.joining(", ")),
                    c.tls().map(Check::tls).orElse("off"),
                    c.http2().maxConcurrentStreams(), c.http2().initialWindowSize(), c.http2().maxHeaderListSize(),
                    c.http2().cleartext() ? "on" : "off",
                    accessLog(c.accessLog()),
                    c.logging().level(), c.logging().format(), cluster(c.cluster()));
        }

        private static String cluster(Optional<ProxyConfig.Cluster> cluster) {
            if (cluster.isEmpty()) {
                return "off (state in the state file)";
            }
            ProxyConfig.Cluster k = cluster.get();
            ProxyConfig.Etcd etcd = k.etcd();
            String tls = etcd.tls().map(t -> ", tls" + t.ca().map(ca -> " ca " + ca).orElse("")
                    + t.cert().map(cert -> " cert " + cert + " key " + t.key().orElseThrow()).orElse("")).orElse("");
            return k.name() + " as replica " + (k.replica().isEmpty() ? "<hostname>:<listen port>" : k.replica()) + ", etcd "
                    + etcd.endpoints() + etcd.username().map(u -> " as " + u + " (password " + (etcd.password().isPresent() ? "set" : "not set")
                    + ")").orElse("") + tls + ", lease " + Durations.format(k.leaseTtl()) + ", switch answers wait for "
                    + (k.drainWait() == ProxyConfig.Cluster.DrainWait.ALL ? "every live replica's drain" : "this replica's drain");
        }

        private static String accessLog(ProxyConfig.AccessLog log) {
            if (!log.enabled()) {
                return "off";
            }
            return log.format().key() + " to " + log.path().map(Path::toString).orElse("stdout")
                    + " (a file rotates daily and at " + log.maxFileSize() + " B, " + log.maxHistory() + " days kept), not for "
                    + (log.exclude().isEmpty() ? "(none)" : String.join(", ", log.exclude()));
        }

        /** A line per certificate with the names it serves, and a warning for each that expires soon; every problem at once. */
        static String certificates(ProxyConfig c, Instant now) throws ConfigException {
            StringBuilder lines = new StringBuilder();
            List<String> warnings = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            List<ProxyConfig.Certificate> certificates = c.tls().map(ProxyConfig.Tls::certificates).orElse(List.of());
            for (int i = 0; i < certificates.size(); i++) {
                String keyPath = "tls.certificates[" + i + "]";
                try {
                    CertificateCheck.Loaded loaded = CertificateCheck.load(certificates.get(i), keyPath, now);
                    lines.append(String.format("  certificate %s: %s; valid until %s (%d days)%n", keyPath, String.join(", ", loaded.names()),
                            loaded.notAfter().truncatedTo(ChronoUnit.SECONDS), Duration.between(now, loaded.notAfter()).toDays()));
                    loaded.expiryWarning(keyPath, now).ifPresent(warnings::add);
                } catch (ConfigException e) {
                    problems.addAll(e.problems());
                }
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            warnings.forEach(w -> lines.append("  warning     ").append(w).append(System.lineSeparator()));
            return lines.toString();
        }

        private static String tls(ProxyConfig.Tls t) {
            return "listen " + t.listen() + ", certificates "
                    + t.certificates().stream().map(x -> x.cert() + " + " + x.key()).collect(Collectors.joining(", "))
                    + ", " + String.join(" ", t.protocols()) + ", ciphers "
                    + (t.ciphers().isEmpty() ? "modern default" : String.join(":", t.ciphers()))
                    + ", alpn " + String.join(" ", t.alpn())
                    + ", plain HTTP " + (t.redirectHttp() ? "redirected to port " + t.redirectPort() : "served (redirect port " + t.redirectPort() + ")")
                    + ", hsts " + t.hsts().map(h -> "\"" + h + "\"").orElse("none");
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Start two built-in backends (blue on 8001, green on 8002) and the proxy on 8080, admin on 9090.")
    static final class Demo implements Callable<Integer> {

        private static final String CONFIG = """
                listen: 127.0.0.1:8080
                admin: { listen: 127.0.0.1:9090 }
                pools:
                  blue:  { backends: ["127.0.0.1:8001"] }
                  green: { backends: ["127.0.0.1:8002"] }
                active: blue
                startup: { warmup: 0s }
                """;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter err = spec.commandLine().getErr();
            ProxyConfig parsed = new ConfigLoader(name -> null).parse(CONFIG, "demo");
            // The demo remembers nothing: every run starts on blue.
            ProxyConfig config = parsed.withState(new ProxyConfig.State(Optional.empty()));
            Transport transport = Transport.best();
            EventLoopGroup group = transport.newGroup(1, "turnout-demo");
            DemoBackend blue;
            DemoBackend green;
            try {
                blue = DemoBackend.start(transport, group, "blue", new InetSocketAddress("127.0.0.1", 8001));
                green = DemoBackend.start(transport, group, "green", new InetSocketAddress("127.0.0.1", 8002));
            } catch (Exception e) {
                err.println("turnout: demo backends need 127.0.0.1:8001 and 127.0.0.1:8002: " + e.getMessage());
                err.flush();
                group.shutdownGracefully();
                transport.close();
                return EXIT_STARTUP_FAILED;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.print("""
                    Turnout demo: blue backend on 127.0.0.1:8001, green on 127.0.0.1:8002,
                    proxy on http://127.0.0.1:8080, admin on http://127.0.0.1:9090. Try:

                      curl -s localhost:8080/                                  # answered by blue
                      curl -s -X POST localhost:9090/admin/switch              # flip to green, wait for blue to drain
                      curl -s localhost:8080/                                  # answered by green
                      curl -s -X POST localhost:9090/admin/rollback            # back to blue
                      curl -s localhost:9090/admin/status                      # pools, backends, in-flight, generation
                      curl -sN -X POST localhost:8080/v1/chat/completions      # a 10 s stream; flip while it runs

                    Ctrl-C stops it.
                    """);
            out.flush();
            return runUntilStopped(config, Optional.empty(), err, Optional.of(() -> {
                blue.close();
                green.close();
                group.shutdownGracefully();
                transport.close();
            }));
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Turnout.class.getPackage().getImplementationVersion();
            return new String[] {"turnout " + (version == null ? "(development build)" : version)};
        }
    }
}
