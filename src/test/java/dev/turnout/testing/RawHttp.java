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
import java.util.Arrays;
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
        return over(socket);
    }

    /** Speaks over a socket the test connected itself, a TLS one for instance. */
    public static RawHttp over(Socket socket) throws IOException {
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

    /** GET with a Host header (turnout.test unless the test gives one) and the test's header lines; reads the whole answer. */
    public Response get(String path, String... headerLines) throws IOException {
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\n");
        if (Arrays.stream(headerLines).noneMatch(line -> line.regionMatches(true, 0, "Host:", 0, 5))) {
            request.append("Host: turnout.test\r\n");
        }
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

    /**
     * Reads the body the head announces. A connection that ends before the last byte of a
     * Content-Length body or before the last chunk throws {@link CutShort}: a test that reads a
     * body fails when it is short. A test that expects a cut-off body uses {@link #readCutShortBody}.
     */
    public byte[] readBody(Head head, boolean headRequest) throws IOException {
        if (headRequest || head.status() == 204 || head.status() == 304) {
            return new byte[0];
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        readBodyInto(head, body);
        return body.toByteArray();
    }

    /**
     * Reads a body the test expects to be cut off by the end of the connection and returns the
     * bytes that came before it; fails the test when the whole body arrived, or when the body has
     * no framing that could show a cut (it is read until the connection ends).
     */
    public byte[] readCutShortBody(Head head) throws IOException {
        if (!head.chunked() && head.header("content-length").isEmpty()) {
            throw new AssertionError("a body without Content-Length or chunked framing cannot be seen cut short");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            readBodyInto(head, body);
        } catch (CutShort expected) {
            return body.toByteArray();
        }
        throw new AssertionError("expected the body to be cut short, but all of it arrived (" + body.size() + " bytes)");
    }

    /** The connection ended before the end of the body its head announced. */
    public static final class CutShort extends EOFException {
        CutShort(String message) {
            super(message);
        }
    }

    private void readBodyInto(Head head, ByteArrayOutputStream body) throws IOException {
        if (head.chunked()) {
            try {
                while (readChunkInto(body)) {
                    // next chunk
                }
            } catch (CutShort e) {
                throw e;
            } catch (EOFException e) {
                throw new CutShort("chunked body cut short after " + body.size() + " bytes: " + e.getMessage());
            }
        } else if (head.header("content-length").isPresent()) {
            int length = Integer.parseInt(head.header("content-length").get());
            byte[] data = in.readNBytes(length);
            body.write(data);
            if (data.length < length) {
                throw new CutShort("body cut short: " + data.length + " of " + length + " bytes (Content-Length) before the connection ended");
            }
        } else {
            body.write(in.readAllBytes());
        }
    }

    /** The next chunk of a chunked body, or null after the last one (trailers are skipped). */
    public byte[] readChunk() throws IOException {
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        return readChunkInto(chunk) ? chunk.toByteArray() : null;
    }

    /** Appends the next chunk's data (as much as arrived, when cut off); false after the last chunk. */
    private boolean readChunkInto(ByteArrayOutputStream into) throws IOException {
        String sizeLine = readLine();
        int semi = sizeLine.indexOf(';');
        int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
        if (size == 0) {
            while (!readLine().isEmpty()) {
                // trailer lines
            }
            return false;
        }
        byte[] data = in.readNBytes(size);
        into.write(data);
        if (data.length < size) {
            throw new CutShort("chunk cut short: " + data.length + " of " + size + " bytes");
        }
        readLine();
        return true;
    }

    public InputStream input() {
        return in;
    }

    public OutputStream output() {
        return out;
    }

    /** Sends a FIN: the peer sees the end of what this side sends, and may still answer. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
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
