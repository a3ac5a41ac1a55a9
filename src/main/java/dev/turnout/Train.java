package dev.turnout;

import dev.turnout.base.Transport;
import dev.turnout.config.ProxyConfig;
import dev.turnout.demo.DemoBackend;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * {@code turnout train}: a short run of Turnout on loopback ports the system picks, against the
 * demo's backends: requests through the proxy, a switch, the admin API, then a stop. bin/turnout
 * runs it with {@code -XX:ArchiveClassesAtExit} to build the class-data archive that later starts
 * load their classes from (bench/README.md, "Start time"), so it loads what serving loads.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Run Turnout briefly on loopback against built-in backends and exit (bin/turnout train builds its class-data archive with it).")
final class Train implements Callable<Integer> {

    /** Enough for every class on the request path to load; the archive holds classes, not compiled code. */
    private static final int REQUESTS = 2_000;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "turnout-train");
        DemoBackend blue = DemoBackend.start(transport, group, "blue", new InetSocketAddress("127.0.0.1", 0));
        DemoBackend green = DemoBackend.start(transport, group, "green", new InetSocketAddress("127.0.0.1", 0));
        try {
            TurnoutServer server = Warmup.startRehearsal(blue.address(), green.address(), true,
                    ProxyConfig.AccessLog.Format.JSON);
            try {
                int served = 0;
                try (Socket client = new Socket("127.0.0.1", server.proxyAddress().getPort())) {
                    for (int i = 0; i < REQUESTS; i++) {
                        served += exchange(client, "GET /train?i=" + i + " HTTP/1.1\r\nHost: train\r\n\r\n");
                        if (i == REQUESTS / 2) {
                            admin(server, "POST /admin/switch");
                        }
                    }
                }
                for (String call : new String[] {"GET /admin/status", "GET /admin/history", "GET /metrics", "GET /"}) {
                    admin(server, call);
                }
                out.printf("trained: %d of %d requests answered 200%n", served, REQUESTS);
                out.flush();
                return served == REQUESTS ? 0 : Turnout.EXIT_STARTUP_FAILED;
            } finally {
                server.close();
            }
        } finally {
            blue.close();
            green.close();
            group.shutdownGracefully().syncUninterruptibly();
            transport.close();
        }
    }

    private static void admin(TurnoutServer server, String call) throws IOException {
        try (Socket admin = new Socket("127.0.0.1", server.adminAddress().getPort())) {
            exchange(admin, call + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
        }
    }

    /** Sends one request and reads its answer (framed by Content-Length); 1 when it was a 200. */
    private static int exchange(Socket socket, String request) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed before an answer");
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(length);
        return head.indexOf("HTTP/1.1 200 ") == 0 ? 1 : 0;
    }
}
