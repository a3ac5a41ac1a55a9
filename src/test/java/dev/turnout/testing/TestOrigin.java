package dev.turnout.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend for tests, on 127.0.0.1 and a free port. What it does depends on the path:
 * <ul>
 * <li>{@code /stream?chunks=N&intervalMs=M}: a text/event-stream of N events, M ms apart; with
 *     {@code gated=true} each event after the first waits for {@link #allowChunks(int)}</li>
 * <li>{@code /slow?ms=M}: answers after M ms</li>
 * <li>{@code /close}: reads the request and closes without answering</li>
 * <li>{@code /truncate}: promises 1000 bytes, sends 10 and closes</li>
 * <li>{@code /bytes?n=N}: N bytes of body (chunked), written only while the connection is writable</li>
 * <li>{@code /trailers}: a chunked "ok" with trailer fields {@code x-origin-trailer} (its name) and
 *     {@code x-request-trailer} (the request's trailer {@code x-sum}, or "none")</li>
 * <li>{@code /hop}: an answer carrying hop-by-hop headers the proxy must remove</li>
 * <li>{@code /status/NNN}: answers status NNN</li>
 * <li>{@code /garbage}, {@code /badstatus}: bytes that are not an HTTP response, or a broken status line</li>
 * <li>anything else: JSON echo of the request: name, method, uri, headers, bodyBytes; with
 *     {@code X-Echo-Request-Id: yes} its answer carries the request's X-Request-Id back</li>
 * </ul>
 * Turnout's probes (health checks, smoke requests) are not counted; its health checks get
 * {@link #healthStatus(int)}. {@link #answerAll(int)} overrides every other answer, smoke requests
 * included; {@link #resetAll(boolean)} every request but probes.
 * Request bodies are counted as they stream in, never aggregated.
 */
public final class TestOrigin implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final LoopbackServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger allowance = new AtomicInteger();
    private volatile int forcedStatus;
    private volatile boolean reset;
    private volatile int healthStatus = 200;
    private final AtomicInteger failHealthChecks = new AtomicInteger();

    private TestOrigin(String name, int port) throws InterruptedException {
        this.name = name;
        this.server = new LoopbackServer(port, false, pipeline -> pipeline.addLast(new HttpServerCodec(), new Handler()));
    }

    public static TestOrigin start(String name) throws InterruptedException {
        return new TestOrigin(name, 0);
    }

    /** On a given port, to bring a backend back where a closed one was. */
    public static TestOrigin startOn(String name, int port) throws InterruptedException {
        return new TestOrigin(name, port);
    }

    public String name() {
        return name;
    }

    public String address() {
        return server.address();
    }

    /** Request heads this origin has read, health checks and smoke requests from Turnout's probe not counted. */
    public int requests() {
        return requests.get();
    }

    /** Connections that carried traffic (not only probes) since start. */
    public int connections() {
        return connections.get();
    }

    public int openConnections() {
        return openConnections.get();
    }

    /** Every request but probes gets this status from now on; 0 restores normal answers. */
    public void answerAll(int status) {
        forcedStatus = status;
    }

    /** Every request but probes is read and answered by closing the connection. */
    public void resetAll(boolean on) {
        reset = on;
    }

    /** The next {@code n} health checks get 503, exactly, then /health answers as before. */
    public void failNextHealthChecks(int n) {
        failHealthChecks.set(n);
    }

    /** The status /health answers from now on. */
    public void healthStatus(int status) {
        healthStatus = status;
    }

    /** Lets gated streams send {@code n} more events. */
    public void allowChunks(int n) {
        allowance.addAndGet(n);
    }

    @Override
    public void close() {
        server.close();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private HttpRequest request;
        private long bodyBytes;
        private String requestTrailer;
        private boolean carriedTraffic;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest r) {
                    request = r;
                    bodyBytes = 0;
                    boolean probe = "turnout-probe".equals(r.headers().get(HttpHeaderNames.USER_AGENT));
                    if (!probe) {
                        countTraffic(ctx, r);
                    }
                    if (!probe && reset || r.uri().startsWith("/close")) {
                        ctx.close();
                        return;
                    }
                }
                if (msg instanceof HttpContent c) {
                    bodyBytes += c.content().readableBytes();
                    if (c instanceof LastHttpContent last && request != null) {
                        requestTrailer = last.trailingHeaders().get("x-sum", "none");
                        boolean probe = "turnout-probe".equals(request.headers().get(HttpHeaderNames.USER_AGENT));
                        if (probe && request.uri().equals("/health")) {
                            write(ctx, request, status(failHealthChecks.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 503 : healthStatus));
                        } else if (forcedStatus != 0) {
                            write(ctx, request, status(forcedStatus));
                        } else {
                            respond(ctx, request, bodyBytes);
                        }
                        request = null;
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void countTraffic(ChannelHandlerContext ctx, HttpRequest r) {
            requests.incrementAndGet();
            if (!carriedTraffic) {
                carriedTraffic = true;
                connections.incrementAndGet();
                openConnections.incrementAndGet();
                ctx.channel().closeFuture().addListener(f -> openConnections.decrementAndGet());
            }
        }

        private void respond(ChannelHandlerContext ctx, HttpRequest r, long bodyBytes) {
            QueryStringDecoder uri = new QueryStringDecoder(r.uri());
            Map<String, List<String>> q = uri.parameters();
            switch (uri.path()) {
                case "/stream" -> stream(ctx, 1, intParam(q, "chunks", 5), intParam(q, "intervalMs", 20), HttpUtil.isKeepAlive(r),
                        q.containsKey("gated"));
                case "/slow" -> ctx.executor().schedule(() -> write(ctx, r, echo(r, bodyBytes)), intParam(q, "ms", 1000), TimeUnit.MILLISECONDS);
                case "/truncate" -> {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 1000);
                    ctx.write(head);
                    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10]))).addListener(ChannelFutureListener.CLOSE);
                }
                case "/bytes" -> {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
                    ctx.write(head);
                    ctx.pipeline().addLast(new ByteSource(Long.parseLong(q.getOrDefault("n", List.of("1024")).get(0))));
                }
                case "/trailers" -> {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    HttpUtil.setTransferEncodingChunked(head, true);
                    ctx.write(head);
                    ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII)));
                    LastHttpContent end = new DefaultLastHttpContent();
                    end.trailingHeaders().set("x-origin-trailer", name).set("x-request-trailer", requestTrailer);
                    ctx.writeAndFlush(end);
                }
                case "/garbage" -> raw(ctx, "this is not HTTP at all\r\n\r\n");
                case "/badstatus" -> raw(ctx, "HTTP/1.1 2x0 Fine\r\nContent-Length: 2\r\n\r\nok");
                case "/hop" -> {
                    FullHttpResponse response = echo(r, bodyBytes);
                    response.headers()
                            .add(HttpHeaderNames.CONNECTION, "X-Hop-Secret")
                            .add("X-Hop-Secret", "must not reach the client")
                            .add(HttpHeaderNames.KEEP_ALIVE, "timeout=5")
                            .add(HttpHeaderNames.UPGRADE, "nothing")
                            .add("X-End-To-End", "kept");
                    write(ctx, r, response);
                }
                default -> write(ctx, r, uri.path().startsWith("/status/")
                        ? status(Integer.parseInt(uri.path().substring("/status/".length())))
                        : echo(r, bodyBytes));
            }
        }

        /** Bytes straight to the socket, past the encoder that would refuse them. */
        private void raw(ChannelHandlerContext ctx, String bytes) {
            ctx.pipeline().context(HttpServerCodec.class).writeAndFlush(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
        }

        private FullHttpResponse status(int code) {
            byte[] bytes = ("{\"name\":\"" + name + "\",\"status\":" + code + "}").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code),
                    Unpooled.wrappedBuffer(bytes));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .set("X-Origin", name)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            return response;
        }

        private FullHttpResponse echo(HttpRequest r, long bodyBytes) {
            ObjectNode body = JSON.createObjectNode()
                    .put("name", name)
                    .put("method", r.method().name())
                    .put("uri", r.uri())
                    .put("version", r.protocolVersion().text())
                    .put("bodyBytes", bodyBytes);
            ObjectNode headers = body.putObject("headers");
            for (String headerName : r.headers().names()) {
                var values = headers.putArray(headerName.toLowerCase());
                r.headers().getAll(headerName).forEach(values::add);
            }
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .set("X-Origin", name)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            if ("yes".equals(r.headers().get("x-echo-request-id"))) {
                response.headers().set("X-Request-Id", r.headers().get("x-request-id"));
            }
            return response;
        }

        private void write(ChannelHandlerContext ctx, HttpRequest r, FullHttpResponse response) {
            if (HttpUtil.isKeepAlive(r)) {
                ctx.writeAndFlush(response);
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private void stream(ChannelHandlerContext ctx, int n, int chunks, int intervalMs, boolean keepAlive, boolean gated) {
            if (n == 1) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream").set("X-Origin", name);
                HttpUtil.setTransferEncodingChunked(head, true);
                ctx.write(head);
            }
            if (!ctx.channel().isActive()) {
                return;
            }
            if (gated && n > 1 && !takeAllowance()) {
                ctx.executor().schedule(() -> stream(ctx, n, chunks, intervalMs, keepAlive, true), 5, TimeUnit.MILLISECONDS);
                return;
            }
            if (n > chunks) {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                        .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
                return;
            }
            ByteBuf event = Unpooled.copiedBuffer("data: " + name + " " + n + "\n\n", StandardCharsets.UTF_8);
            ctx.writeAndFlush(new DefaultHttpContent(event));
            ctx.executor().schedule(() -> stream(ctx, n + 1, chunks, intervalMs, keepAlive, gated), intervalMs, TimeUnit.MILLISECONDS);
        }

        private boolean takeAllowance() {
            int a;
            do {
                a = allowance.get();
                if (a <= 0) {
                    return false;
                }
            } while (!allowance.compareAndSet(a, a - 1));
            return true;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Writes a body of n bytes in 16 KiB chunks, pausing while the connection is not writable. */
    private static final class ByteSource extends ChannelInboundHandlerAdapter {
        private static final byte[] BLOCK = new byte[16 * 1024];
        private long remaining;

        ByteSource(long n) {
            this.remaining = n;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                // Not from inside a write: the encoder may be mid-way through one.
                ctx.executor().execute(() -> pump(ctx));
            }
            ctx.fireChannelWritabilityChanged();
        }

        private void pump(ChannelHandlerContext ctx) {
            if (remaining < 0 || !ctx.channel().isActive()) {
                return;
            }
            while (remaining > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(BLOCK.length, remaining);
                remaining -= n;
                ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(BLOCK, 0, n)));
            }
            if (remaining == 0) {
                remaining = -1;
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                ctx.flush();
            }
        }
    }

    private static int intParam(Map<String, List<String>> q, String key, int fallback) {
        List<String> v = q.get(key);
        return v == null || v.isEmpty() ? fallback : Integer.parseInt(v.get(0));
    }
}
