package dev.turnout.health;

import dev.turnout.base.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One-shot HTTP requests to a backend, off the traffic event loops: the active health check and
 * the smoke requests before a flip. Each uses a fresh connection and {@code Connection: close},
 * so a probe never disturbs the pooled connections that carry traffic.
 */
public final class HttpProbe {

    /** The status answered (or -1 when there was none) and, on failure, why. */
    public record Result(int status, long latencyMillis, String error) {

        /** What a health probe must answer to pass: a 2xx. */
        public boolean passed() {
            return status >= 200 && status < 300;
        }

        /** Why a health probe did not pass, for the status page and the gate; null when it passed. */
        public String failure() {
            return passed() ? null : error != null ? error : "status " + status;
        }
    }

    private final Bootstrap template;

    public HttpProbe(Transport transport, EventLoopGroup group) {
        this.template = new Bootstrap()
                .group(group)
                .channelFactory(transport.clientChannelFactory())
                .option(ChannelOption.TCP_NODELAY, true)
                .resolver(transport.resolver());
    }

    public CompletableFuture<Result> send(InetSocketAddress address, String hostHeader, HttpMethod method, String path, Duration timeout) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        long start = System.nanoTime();
        ChannelFuture connect = template.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new StatusReader(result, start));
                    }
                })
                .connect(address);
        Channel ch = connect.channel();
        ScheduledFuture<?> deadline = ch.eventLoop().schedule(() -> {
            finish(result, start, -1, "no answer within " + timeout.toMillis() + "ms");
            ch.close();
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((r, e) -> {
            deadline.cancel(false);
            ch.close();
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                finish(result, start, -1, f.cause() instanceof ConnectException ? "connection refused" : String.valueOf(f.cause().getMessage()));
                return;
            }
            if (ch.eventLoop().isShuttingDown()) {
                // A connect completed while the loop is torn down: a request written now is never sent nor released.
                finish(result, start, -1, "stopping");
                return;
            }
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path);
            request.headers()
                    .set(HttpHeaderNames.HOST, hostHeader)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.USER_AGENT, "turnout-probe")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            ch.writeAndFlush(request).addListener(w -> {
                if (!w.isSuccess()) {
                    finish(result, start, -1, "write failed: " + w.cause().getMessage());
                }
            });
        });
        return result;
    }

    private static void finish(CompletableFuture<Result> result, long start, int status, String error) {
        result.complete(new Result(status, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), error));
    }

    /** Completes the probe with the first final status line; the body is not needed. */
    private static final class StatusReader extends SimpleChannelInboundHandler<HttpObject> {
        private final CompletableFuture<Result> result;
        private final long start;

        StatusReader(CompletableFuture<Result> result, long start) {
            this.result = result;
            this.start = start;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse response) {
                if (response.decoderResult().isFailure()) {
                    finish(result, start, -1, "invalid response");
                } else if (response.status().code() >= 200) {
                    finish(result, start, response.status().code(), null);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish(result, start, -1, "connection closed before an answer");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish(result, start, -1, String.valueOf(cause.getMessage()));
            ctx.close();
        }
    }
}
