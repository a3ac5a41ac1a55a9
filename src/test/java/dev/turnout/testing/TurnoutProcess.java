package dev.turnout.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turnout in a JVM of its own, as an operator runs it: for signals, exit codes and memory limits. */
public final class TurnoutProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) .*admin on 127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final CompletableFuture<int[]> ports = new CompletableFuture<>();

    private TurnoutProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(this::pump, "turnout-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** {@code yaml} as for {@link ProxyHarness}; extra JVM flags such as -Xmx64m may be given. */
    public static TurnoutProcess start(Path dir, String yaml, String... jvmFlags) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(java.util.List.of(jvmFlags));
        command.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), "dev.turnout.Turnout"));
        return start(dir, yaml, new ProcessBuilder(command));
    }

    /** Started by {@code starter} (a launcher, say), with {@code --config} and the config file added to its command. */
    public static TurnoutProcess start(Path dir, String yaml, ProcessBuilder starter) throws Exception {
        Files.createDirectories(dir);
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, ProxyHarness.fullYaml(dir, yaml));
        starter.command().addAll(java.util.List.of("--config", config.toString()));
        TurnoutProcess p = new TurnoutProcess(starter.redirectErrorStream(true).start());
        p.ports.get(60, TimeUnit.SECONDS);
        return p;
    }

    /** What the operating system says this process runs: after a launcher's exec, the JVM itself. */
    public ProcessHandle.Info info() {
        return process.info();
    }

    private void pump() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                System.out.println("[turnout] " + line);
                output.append(line).append('\n');
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                }
            }
            ports.completeExceptionally(new IllegalStateException("turnout exited: " + output));
        } catch (Exception e) {
            ports.completeExceptionally(e);
        }
    }

    public InetSocketAddress proxy() {
        return new InetSocketAddress("127.0.0.1", ports.join()[0]);
    }

    public InetSocketAddress admin() {
        return new InetSocketAddress("127.0.0.1", ports.join()[1]);
    }

    public String output() {
        return output.toString();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The process's resident memory (VmRSS), in bytes. */
    public long residentBytes() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for process " + process.pid());
    }

    public void signal(String name) throws Exception {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    /** The exit code; a process that does not end within a minute fails the test instead of hanging it. */
    public int waitForExit() throws Exception {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("turnout did not exit:\n" + output);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
