package dev.turnout.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * An HTTP/2 client at the frame level, over a blocking socket (TLS with ALPN h2, or cleartext with
 * prior knowledge), for tests that must send what a well-behaved client never would. Header blocks
 * are encoded and decoded with Netty's HPACK coder; everything else is written byte by byte.
 */
public final class RawHttp2 implements AutoCloseable {

    public static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9;
    public static final int END_STREAM = 1, END_HEADERS = 4, ACK = 1;

    /** A frame read; {@code payload} is its bytes. */
    public record Frame(int type, int flags, int stream, byte[] payload) {
        public boolean endStream() {
            return (flags & END_STREAM) != 0 && (type == DATA || type == HEADERS);
        }

        /** The error code of a RST_STREAM or GOAWAY. */
        public long errorCode() {
            int at = type == GOAWAY ? 4 : 0;
            return ((payload[at] & 0xffL) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8) | (payload[at + 3] & 0xff);
        }

        public String text() {
            return new String(payload, type == GOAWAY ? 8 : 0, payload.length - (type == GOAWAY ? 8 : 0), StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);

    private RawHttp2(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(30_000);
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(socket.getInputStream());
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(SETTINGS, 0, 0, new byte[0]);
    }

    /** Over TLS, offering only h2; any certificate is accepted. */
    public static RawHttp2 tls(InetSocketAddress address) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(address.getAddress(), address.getPort());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        if (!"h2".equals(socket.getApplicationProtocol())) {
            socket.close();
            throw new IOException("the server did not choose h2 but '" + socket.getApplicationProtocol() + "'");
        }
        return new RawHttp2(socket);
    }

    /** Cleartext, with prior knowledge (h2c). */
    public static RawHttp2 cleartext(InetSocketAddress address) throws IOException {
        return new RawHttp2(new Socket(address.getAddress(), address.getPort()));
    }

    /** A request head for {@code path} on {@code authority}, GET unless {@code method} says otherwise. */
    public static Http2Headers request(String method, String path) {
        return new DefaultHttp2Headers(false).method(method).path(path).scheme("https").authority("turnout.test");
    }

    /** The HPACK block of {@code headers}, as this connection's encoder writes it. */
    public byte[] block(int stream, Http2Headers headers) throws Exception {
        ByteBuf buf = Unpooled.buffer();
        try {
            encoder.encodeHeaders(stream, headers, buf);
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            return bytes;
        } finally {
            buf.release();
        }
    }

    public void headers(int stream, Http2Headers headers, boolean endStream) throws Exception {
        frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, block(stream, headers));
    }

    public void data(int stream, byte[] bytes, boolean endStream) throws IOException {
        frame(DATA, endStream ? END_STREAM : 0, stream, bytes);
    }

    public void reset(int stream, int errorCode) throws IOException {
        frame(RST_STREAM, 0, stream, int32(errorCode));
    }

    public void ping(long data) throws IOException {
        byte[] payload = new byte[8];
        for (int i = 0; i < 8; i++) {
            payload[i] = (byte) (data >>> (56 - 8 * i));
        }
        frame(PING, 0, 0, payload);
    }

    public void windowUpdate(int stream, int increment) throws IOException {
        frame(WINDOW_UPDATE, 0, stream, int32(increment));
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** Writes one frame; several may go in one {@link #write} with {@link #frameBytes}. */
    public void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(frameBytes(type, flags, stream, payload));
        out.flush();
    }

    public static byte[] frameBytes(int type, int flags, int stream, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        frame[5] = (byte) (stream >>> 24);
        frame[6] = (byte) (stream >>> 16);
        frame[7] = (byte) (stream >>> 8);
        frame[8] = (byte) stream;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next frame, or null once the server closed the connection. SETTINGS are acknowledged as they come. */
    public Frame read() throws IOException {
        byte[] head = new byte[9];
        try {
            in.readFully(head);
            int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
            byte[] payload = new byte[length];
            in.readFully(payload);
            Frame frame = new Frame(head[3] & 0xff, head[4] & 0xff, ((head[5] & 0x7f) << 24) | ((head[6] & 0xff) << 16)
                    | ((head[7] & 0xff) << 8) | (head[8] & 0xff), payload);
            if (frame.type() == SETTINGS && (frame.flags() & ACK) == 0) {
                frame(SETTINGS, ACK, 0, new byte[0]);
            }
            return frame;
        } catch (EOFException | SocketException e) {
            return null;
        }
    }

    /** Reads until a frame of {@code type} (on {@code stream}, unless it is 0) or the end of the connection, which gives null. */
    public Frame readUntil(int type, int stream) throws IOException {
        Frame f;
        while ((f = read()) != null) {
            if (f.type() == type && (stream == 0 || f.stream() == stream)) {
                return f;
            }
        }
        return null;
    }

    /** The decoded fields of a HEADERS frame that carries a whole block (no padding, no priority). */
    public Http2Headers fields(Frame headers) throws Exception {
        ByteBuf block = Unpooled.wrappedBuffer(headers.payload());
        try {
            return decoder.decodeHeaders(headers.stream(), block);
        } finally {
            block.release();
        }
    }

    /** Reads to the end of the connection; true if the server closed it (rather than the read timing out). */
    public boolean closedByServer() throws IOException {
        try {
            while (read() != null) {
                // Frames before the end (GOAWAY among them) are not looked at.
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
