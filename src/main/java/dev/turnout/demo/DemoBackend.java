package dev.turnout.demo;

import dev.turnout.base.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A tiny origin for the demo: answers with its colour, serves /health, and streams a fake chat
 * completion (server-sent events, one token a second) so a newcomer can watch a stream survive a flip.
 */
public final class DemoBackend {

    private static final int STREAM_TOKENS = 10;

    private final Channel channel;

    private DemoBackend(Channel channel) {
        this.channel = channel;
    }

    public static DemoBackend start(Transport transport, EventLoopGroup group, String colour, InetSocketAddress address)
            throws InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpServerKeepAliveHandler())
                                .addLast(new HttpObjectAggregator(1024 * 1024))
                                .addLast(new Responder(colour, address.getHostString() + ":" + address.getPort()));
                    }
                });
        return new DemoBackend(bootstrap.bind(address).sync().channel());
    }

    /** Where it listens: the port chosen when it was started on port 0. */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        channel.close().syncUninterruptibly();
    }

    private static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String colour;
        private final String address;

        Responder(String colour, String address) {
            this.colour = colour;
            this.address = address;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String path = request.uri();
            if (path.equals("/health")) {
                ctx.writeAndFlush(text("ok\n"));
            } else if (path.startsWith("/v1/chat/completions") || path.startsWith("/stream")) {
                stream(ctx);
            } else {
                ctx.writeAndFlush(text("hello from " + colour + " (" + address + ") " + request.method() + " " + path + "\n"));
            }
        }

        private FullHttpResponse text(String body) {
            ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8")
                    .set("X-Pool", colour)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
            return response;
        }

        private void stream(ChannelHandlerContext ctx) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                    .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                    .set("X-Pool", colour);
            ctx.writeAndFlush(head);
            sendToken(ctx, 1);
        }

        private void sendToken(ChannelHandlerContext ctx, int n) {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (n > STREAM_TOKENS) {
                ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.copiedBuffer("data: [DONE]\n\n", StandardCharsets.UTF_8)));
                return;
            }
            String event = "data: {\"pool\":\"" + colour + "\",\"token\":" + n + "}\n\n";
            ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(event, StandardCharsets.UTF_8)))
                    .addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess()) {
                            ctx.executor().schedule(() -> sendToken(ctx, n + 1), 1, TimeUnit.SECONDS);
                        }
                    });
        }
    }
}
