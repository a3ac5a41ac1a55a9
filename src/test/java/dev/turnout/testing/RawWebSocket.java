package dev.turnout.testing;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket spoken by hand over a {@link RawHttp} connection (RFC 6455 framing, client frames
 * masked), for tests that need the socket itself: one that half-closes, one that stops reading.
 */
public final class RawWebSocket {

    public static final int TEXT = 1;
    public static final int BINARY = 2;
    public static final int CLOSE = 8;

    /** One frame as it came: its opcode and payload. */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final RawHttp http;
    private final DataInputStream in;

    private RawWebSocket(RawHttp http) {
        this.http = http;
        this.in = new DataInputStream(http.input());
    }

    /** Sends the upgrade request for {@code path}; the head of the answer, a 101 when the socket opened. */
    public static RawHttp.Head handshake(RawHttp http, String path) throws IOException {
        http.send("GET " + path + " HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        return http.readHead();
    }

    /** Opens a socket at {@code path}, failing unless the answer is a 101. */
    public static RawWebSocket open(RawHttp http, String path) throws IOException {
        RawHttp.Head head = handshake(http, path);
        if (head.status() != 101) {
            throw new IOException("upgrade answered " + head.status());
        }
        return new RawWebSocket(http);
    }

    /** One masked text frame (a client must mask; the key is zero, which leaves the bytes as they are). */
    public void sendText(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        if (payload.length > 125) {
            throw new IllegalArgumentException("short texts only");
        }
        byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte) (0x80 | TEXT);
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(payload, 0, frame, 6, payload.length);
        http.send(frame);
    }

    /** The next frame, or null when the connection ended. */
    public Frame read() throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        int second = in.readUnsignedByte();
        long length = second & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        if ((second & 0x80) != 0) {
            in.readInt();
        }
        byte[] payload = new byte[Math.toIntExact(length)];
        in.readFully(payload);
        return new Frame(first & 0x0f, payload);
    }

    /** The next frame, which must come. */
    public Frame next() throws IOException {
        Frame frame = read();
        if (frame == null) {
            throw new EOFException("the socket ended");
        }
        return frame;
    }
}
