package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The handlers a client connection gets once its protocol is known, by ALPN on the HTTPS listener
 * ({@link ProtocolChoice}), by its first bytes on the plain one with {@code http2.cleartext}
 * ({@link PriorKnowledge}), or at once. Settings are read per connection, so a reload reaches
 * every new connection.
 */
final class ClientPipeline {

    /**
     * Rapid reset (CVE-2023-44487): a client that resets more streams than this within
     * {@link #RESET_WINDOW_SECONDS} gets GOAWAY ENHANCE_YOUR_CALM; the same bounds the resets a
     * client can make us send (CVE-2025-55163). Netty's server default, which no browser comes near.
     */
    static final int RESETS_PER_WINDOW = 200;
    static final int RESET_WINDOW_SECONDS = 30;
    /** Control frames (SETTINGS and PING acknowledgements, resets) queued for a client that does not read them. */
    static final int MAX_QUEUED_CONTROL_FRAMES = 10_000;
    /** DATA frames in a row without a byte, which cost us work and the client nothing. */
    static final int MAX_EMPTY_DATA_FRAMES = 2;
    /** CONTINUATION frames in a row that carry almost nothing (CVE-2024-27316's cheap variant). */
    static final int MAX_SMALL_CONTINUATION_FRAMES = 16;

    private final ProxyContext context;
    private final Listener listener;

    ClientPipeline(ProxyContext context, Listener listener) {
        this.context = context;
        this.listener = listener;
    }

    /**
     * A connection must show its protocol (its TLS handshake, or its first bytes) within
     * {@code limits.headerTimeout}, as it must send a request head: past it, it is closed, since it
     * could not read an answer yet. The caller cancels the returned timer once the protocol is known.
     */
    ScheduledFuture<?> closeUnlessChosenInTime(ChannelHandlerContext ctx) {
        long nanos = context.traffic().current().config().limits().headerTimeout().toNanos();
        return ctx.executor().schedule(() -> ctx.close(), nanos, TimeUnit.NANOSECONDS);
    }

    /** The handlers of the protocol a connection chose. */
    void install(Channel channel, boolean http2) {
        if (http2) {
            http2(channel);
        } else {
            http1(channel);
        }
    }

    void http1(Channel channel) {
        StrictRequestDecoder decoder = new StrictRequestDecoder(context.traffic().current().config().limits());
        channel.pipeline().addLast("decoder", decoder)
                .addLast("proxy", new FrontendHandler(context, decoder, listener));
    }

    /**
     * Netty's frame codec and stream multiplexer, with {@link Http2ConnectionGuard} between them and
     * an {@link Http2ClientStream} on each stream. The connection reads on its own (autoRead): what
     * a client may send is bounded by the flow-control windows, which the streams give back only as
     * their backends take the bytes, and by the codec's flood limits.
     */
    private void http2(Channel channel) {
        ProxyConfig config = context.traffic().current().config();
        ProxyConfig.Http2 http2 = config.http2();
        Http2ConnectionGuard guard = new Http2ConnectionGuard(context, channel);
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(new Http2Settings()
                        .maxConcurrentStreams(http2.maxConcurrentStreams())
                        .initialWindowSize(http2.initialWindowSize())
                        .maxHeaderListSize(http2.maxHeaderListSize()))
                .validateHeaders(true)
                .frameLogger(new Http2FrameWatch(guard, context.http2Abuse()))
                .decoderEnforceMaxRstFramesPerWindow(RESETS_PER_WINDOW, RESET_WINDOW_SECONDS)
                .encoderEnforceMaxRstFramesPerWindow(RESETS_PER_WINDOW, RESET_WINDOW_SECONDS)
                .encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES)
                .decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_EMPTY_DATA_FRAMES)
                .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATION_FRAMES)
                .gracefulShutdownTimeoutMillis(config.drain().timeout().toMillis())
                .build();
        // Answers of many streams end in the same turn of the event loop: one write (and one TLS record) for all of them.
        channel.pipeline().addLast("flush", new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true))
                .addLast("h2", codec)
                .addLast("h2-guard", guard)
                .addLast("h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        // A stream reads when its exchange asks: that is what gives the client's window back.
                        stream.config().setAutoRead(false);
                        stream.pipeline().addLast("stream", new Http2ClientStream(context, listener, guard));
                    }
                }));
        channel.config().setAutoRead(true);
    }
}
