package dev.turnout.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WebSocket backend for tests, on 127.0.0.1 and a free port, built on Netty's WebSocket server
 * codec. Sockets open at {@code /ws}; every other request (Turnout's health checks among them) gets
 * a 200 with the origin's name. On a socket:
 * <ul>
 * <li>a text message {@code m} is answered with {@code "<name>: m"}</li>
 * <li>{@code "flood N"} is answered with N bytes in binary messages of {@link #FLOOD_FRAME} bytes,
 *     written only while the connection is writable, then the text {@code "done"}</li>
 * <li>a FIN from the other side (a half-close) is answered with the text {@code "<name> saw FIN"},
 *     then the socket closes: half-closure is allowed, so the FIN does not close it by itself</li>
 * <li>{@code "half-close"} is answered with {@code "<name> half-closes"} and a FIN; what the
 *     socket hears after it is kept in {@link #heardAfterHalfClose()}</li>
 * </ul>
 * {@link #answerUpgrades(int)} and {@link #closeOnUpgrade(boolean)} make it fail handshakes instead.
 */
public final class WebSocketOrigin implements AutoCloseable {

    public static final int FLOOD_FRAME = 32 * 1024;
    private static final AttributeKey<long[]> FLOOD_LEFT = AttributeKey.valueOf("floodLeft");

    private final String name;
    private final LoopbackServer server;
    private final AtomicInteger openSockets = new AtomicInteger();
    private final AtomicLong flooded = new AtomicLong();
    private final BlockingQueue<String> heardAfterHalfClose = new LinkedBlockingQueue<>();
    private volatile int upgradeStatus;
    private volatile boolean closeOnUpgrade;

    private WebSocketOrigin(String name) throws InterruptedException {
        this.name = name;
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/ws")
                .checkStartsWith(true)
                .build();
        this.server = new LoopbackServer(0, true, pipeline -> pipeline.addLast(new HttpServerCodec(),
                new HttpObjectAggregator(64 * 1024), new Handshakes(), new WebSocketServerProtocolHandler(config), new Messages()));
    }

    public static WebSocketOrigin start(String name) throws InterruptedException {
        return new WebSocketOrigin(name);
    }

    public String address() {
        return server.address();
    }

    /** Sockets whose handshake completed and that are still open. */
    public int openSockets() {
        return openSockets.get();
    }

    /** Flood bytes written to the socket (the kernel took them) since start. */
    public long flooded() {
        return flooded.get();
    }

    /** Text messages that reached a socket after it half-closed. */
    public BlockingQueue<String> heardAfterHalfClose() {
        return heardAfterHalfClose;
    }

    /** Every upgrade request gets this status instead of a 101; 0 restores handshakes. */
    public void answerUpgrades(int status) {
        upgradeStatus = status;
    }

    /** Every upgrade request is read and answered by closing the connection. */
    public void closeOnUpgrade(boolean on) {
        closeOnUpgrade = on;
    }

    @Override
    public void close() {
        server.close();
    }

    private static boolean isUpgrade(FullHttpRequest request) {
        return request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    private static void answer(ChannelHandlerContext ctx, int status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain").setInt(HttpHeaderNames.CONTENT_LENGTH, body.length());
        ctx.writeAndFlush(response);
    }

    /** Before the codec's handshake: fails upgrades as told, and answers every request that is no upgrade. */
    private final class Handshakes extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpRequest request)) {
                ctx.fireChannelRead(msg);
                return;
            }
            if (isUpgrade(request) && upgradeStatus == 0 && !closeOnUpgrade) {
                ctx.fireChannelRead(msg);
                return;
            }
            try {
                if (!isUpgrade(request)) {
                    answer(ctx, 200, name);
                } else if (closeOnUpgrade) {
                    ctx.close();
                } else {
                    answer(ctx, upgradeStatus, name + " refuses the upgrade");
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    /** Behind the codec: the messages of open sockets. */
    private final class Messages extends ChannelInboundHandlerAdapter {
        private boolean socket;
        private boolean halfClosed;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof TextWebSocketFrame text) {
                    String m = text.text();
                    if (halfClosed) {
                        heardAfterHalfClose.add(m);
                    } else if (m.equals("half-close")) {
                        halfClosed = true;
                        ctx.writeAndFlush(new TextWebSocketFrame(name + " half-closes"))
                                .addListener(f -> ((SocketChannel) ctx.channel()).shutdownOutput());
                    } else if (m.startsWith("flood ")) {
                        ctx.channel().attr(FLOOD_LEFT).set(new long[] {Long.parseLong(m.substring(6))});
                        flood(ctx);
                    } else {
                        ctx.writeAndFlush(new TextWebSocketFrame(name + ": " + m));
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void flood(ChannelHandlerContext ctx) {
            long[] left = ctx.channel().attr(FLOOD_LEFT).get();
            if (left == null || left[0] == 0) {
                return;
            }
            while (left[0] > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(FLOOD_FRAME, left[0]);
                left[0] -= n;
                ByteBuf payload = ctx.alloc().buffer(n).writeZero(n);
                ctx.write(new BinaryWebSocketFrame(payload)).addListener(f -> {
                    if (f.isSuccess()) {
                        flooded.addAndGet(n);
                    }
                });
            }
            if (left[0] == 0) {
                ctx.write(new TextWebSocketFrame("done"));
            }
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                flood(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                socket = true;
                openSockets.incrementAndGet();
            } else if (event instanceof ChannelInputShutdownEvent) {
                if (socket) {
                    ctx.writeAndFlush(new TextWebSocketFrame(name + " saw FIN")).addListener(ChannelFutureListener.CLOSE);
                } else {
                    ctx.close();
                }
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (socket) {
                openSockets.decrementAndGet();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
