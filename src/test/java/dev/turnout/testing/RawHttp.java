package dev.turnout.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A deliberately small HTTP/1.1 client over a plain socket: it sends exactly the bytes a test
 * writes (hop-by-hop headers, HTTP/1.0, malformed requests) and parses answers strictly.
 */
public final class RawHttp implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    public static RawHttp connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 5_000);
        socket.setTcpNoDelay(true);
        // Guards against a hang only; no test asserts on time.
        socket.setSoTimeout(60_000);
        return new RawHttp(socket);
    }

    public record Head(String version, int status, List<String[]> headers) {
        public Optional<String> header(String name) {
            return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst();
        }

        public List<String> all(String name) {
            return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).toList();
        }

        public boolean chunked() {
            return header("transfer-encoding").map(v -> v.toLowerCase(Locale.ROOT).endsWith("chunked")).orElse(false);
        }
    }

    public record Response(Head head, byte[] body) {
        public int status() {
            return head.status();
        }

        public Optional<String> header(String name) {
            return head.header(name);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    public RawHttp send(String raw) throws IOException {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttp send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    /** GET with a Host header and whatever extra header lines the test adds; reads the whole answer. */
    public Response get(String path, String... headerLines) throws IOException {
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: turnout.test\r\n");
        for (String line : headerLines) {
            request.append(line).append("\r\n");
        }
        send(request.append("\r\n").toString());
        return read(false);
    }

    public Response read(boolean headRequest) throws IOException {
        Head head = readHead();
        while (head.status() >= 100 && head.status() < 200) {
            head = readHead();
        }
        return new Response(head, readBody(head, headRequest));
    }

    public Head readHead() throws IOException {
        String statusLine = readLine();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not a status line: " + statusLine);
        }
        List<String[]> headers = new ArrayList<>();
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
        }
        return new Head(parts[0], Integer.parseInt(parts[1]), headers);
    }

    public byte[] readBody(Head head, boolean headRequest) throws IOException {
        if (headRequest || head.status() == 204 || head.status() == 304) {
            return new byte[0];
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (head.chunked()) {
            byte[] chunk;
            while ((chunk = readChunk()) != null) {
                body.write(chunk);
            }
        } else if (head.header("content-length").isPresent()) {
            body.write(in.readNBytes(Integer.parseInt(head.header("content-length").get())));
        } else {
            body.write(in.readAllBytes());
        }
        return body.toByteArray();
    }

    /** The next chunk of a chunked body, or null after the last one (trailers are skipped). */
    public byte[] readChunk() throws IOException {
        String sizeLine = readLine();
        int semi = sizeLine.indexOf(';');
        int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
        if (size == 0) {
            while (!readLine().isEmpty()) {
                // trailer lines
            }
            return null;
        }
        byte[] data = in.readNBytes(size);
        if (data.length < size) {
            throw new EOFException("chunk cut short: " + data.length + " of " + size + " bytes");
        }
        readLine();
        return data;
    }

    public InputStream input() {
        return in;
    }

    public OutputStream output() {
        return out;
    }

    /** True when the peer closed the connection: the next read sees end of stream (or a reset). */
    public boolean closedByPeer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                return line.toString();
            }
            line.append((char) c);
        }
        throw new EOFException("connection closed" + (line.length() > 0 ? " after \"" + line + "\"" : ""));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
