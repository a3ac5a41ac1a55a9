package dev.turnout.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real etcd (Debian's {@code etcd-server}, the {@code etcd} binary) on loopback ports, as one member
 * or one of several: started, stopped and started again on the same data, for the cluster tests.
 */
public final class EtcdProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path dataDir;
    private final int clientPort;
    private final int peerPort;
    private final String initialCluster;
    private final Path log;
    private Process process;

    private EtcdProcess(String name, Path dataDir, int clientPort, int peerPort, String initialCluster, Path log) {
        this.name = name;
        this.dataDir = dataDir;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.initialCluster = initialCluster;
        this.log = log;
    }

    /** One member, answering on {@link #endpoint()} when this returns. */
    public static EtcdProcess start(Path dir) throws Exception {
        return startCluster(dir, 1).get(0);
    }

    /**
     * {@code members} members of one etcd cluster, all answering when this returns. The ports are
     * picked free just before etcd binds them; another process may take one in between, and then the
     * whole cluster starts again on other ports, in a directory of its own.
     */
    public static List<EtcdProcess> startCluster(Path dir, int members) throws Exception {
        for (int attempt = 1; ; attempt++) {
            List<EtcdProcess> all = launchCluster(dir.resolve("start" + attempt), members);
            try {
                for (EtcdProcess etcd : all) {
                    etcd.awaitHealthy();
                }
                return all;
            } catch (IllegalStateException e) {
                all.forEach(EtcdProcess::close);
                if (attempt == 3 || !String.valueOf(e.getMessage()).contains("address already in use")) {
                    throw e;
                }
            }
        }
    }

    private static List<EtcdProcess> launchCluster(Path dir, int members) throws IOException {
        int[] ports = freePorts(2 * members);
        String initial = java.util.stream.IntStream.range(0, members)
                .mapToObj(i -> "etcd" + i + "=http://127.0.0.1:" + ports[2 * i + 1]).collect(Collectors.joining(","));
        List<EtcdProcess> all = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            Path data = dir.resolve("etcd" + i);
            Files.createDirectories(data);
            EtcdProcess etcd = new EtcdProcess("etcd" + i, data.resolve("data"), ports[2 * i], ports[2 * i + 1], initial,
                    data.resolve("etcd.log"));
            etcd.launch();
            all.add(etcd);
        }
        return all;
    }

    /** The client URL, as proxy.yaml's {@code cluster.etcd.endpoints} takes it. */
    public String endpoint() {
        return "http://127.0.0.1:" + clientPort;
    }

    /** Stops it (SIGTERM) and waits for the exit; {@link #restart()} brings it back on the same data. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** Kills it (SIGKILL), as a crashed machine would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** Starts it again on its data and ports, and waits until it answers (with a quorum, for a member of several). */
    public void restart() throws Exception {
        launch();
        awaitHealthy();
    }

    private void launch() throws IOException {
        String peer = "http://127.0.0.1:" + peerPort;
        process = new ProcessBuilder("etcd",
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", endpoint(),
                "--advertise-client-urls", endpoint(),
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", "turnout-test")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    /** Waits until it answers its health check, which needs a leader (a quorum, for a member of several). */
    public void awaitHealthy() {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail());
            }
            try {
                HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint() + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                return health.statusCode() == 200 && health.body().contains("\"health\":\"true\"");
            } catch (IOException e) {
                return false;
            }
        });
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code n} different free ports: all held open together while they are picked, so none comes twice. */
    private static int[] freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }
}
