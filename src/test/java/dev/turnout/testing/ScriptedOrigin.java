package dev.turnout.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that answers with exact bytes, for responses no HTTP library would write: heads cut
 * into single bytes, bodies that end with the connection, more bytes than the head framed.
 * Plain blocking sockets, a thread per connection, 127.0.0.1 only.
 */
public final class ScriptedOrigin implements AutoCloseable {

    /** What to send for a path: the bytes, whether one byte per write and how long between them, and whether to close afterwards. */
    public record Script(byte[] bytes, boolean dribble, long gapMillis, boolean close) {
        public static Script of(String raw) {
            return new Script(raw.getBytes(StandardCharsets.ISO_8859_1), false, 0, false);
        }

        public Script dribbled() {
            return new Script(bytes, true, gapMillis, close);
        }

        /** One byte per write, {@code millis} apart: a backend that is never silent for long but never done either. */
        public Script dribbledEvery(long millis) {
            return new Script(bytes, true, millis, close);
        }

        public Script thenClose() {
            return new Script(bytes, dribble, gapMillis, true);
        }
    }

    private static final Script HEALTHY = Script.of("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");

    private final ServerSocket server;
    private final Map<String, Script> scripts = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String lastChunkedBody;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private ScriptedOrigin(ServerSocket server) {
        this.server = server;
        Thread acceptor = new Thread(this::accept, "scripted-origin");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static ScriptedOrigin start() throws IOException {
        return new ScriptedOrigin(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    }

    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    public ScriptedOrigin on(String path, Script script) {
        scripts.put(path, script);
        return this;
    }

    /** Connections that carried a request other than a health check. */
    public int connections() {
        return connections.get();
    }

    public int requests() {
        return requests.get();
    }

    /** The chunked body of the last request that had one, as it arrived, trailer section included. */
    public String lastChunkedBody() {
        return lastChunkedBody;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                Thread t = new Thread(() -> serve(socket), "scripted-origin-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        boolean counted = false;
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
                if (head.toLowerCase(java.util.Locale.ROOT).contains("\r\ntransfer-encoding: chunked\r\n")) {
                    // Bodies here are short test text: the last chunk and the trailer section end at the first empty line.
                    lastChunkedBody = readHead(in);
                }
                Script script = path.equals("/health") ? HEALTHY : scripts.get(path);
                if (!path.equals("/health")) {
                    requests.incrementAndGet();
                    if (!counted) {
                        counted = true;
                        connections.incrementAndGet();
                    }
                }
                if (script == null) {
                    return;
                }
                if (script.dribble()) {
                    for (byte b : script.bytes()) {
                        out.write(b);
                        out.flush();
                        if (script.gapMillis() > 0) {
                            Thread.sleep(script.gapMillis());
                        }
                    }
                } else {
                    out.write(script.bytes());
                    out.flush();
                }
                if (script.close()) {
                    return;
                }
            }
        } catch (IOException ignored) {
            // the proxy closed the connection: nothing to answer any more
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(socket);
        }
    }

    /** A request head (or a short chunked body), or null at the end of the connection. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    @Override
    public void close() {
        try {
            server.close();
            for (Socket socket : open) {
                socket.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
