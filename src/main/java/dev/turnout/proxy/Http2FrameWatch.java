package dev.turnout.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.logging.LogLevel;
import java.nio.charset.StandardCharsets;

/**
 * What one HTTP/2 connection's codec reads and refuses, heard through Netty's frame-logger hook,
 * which sees every frame, those the codec passes on to no handler too. Each frame read tells the
 * {@link Http2ConnectionGuard} the connection is not stuck inside a frame; each stream refused and
 * each GOAWAY for the client's fault goes to {@link Http2Abuse}, the first of the connection logged.
 */
final class Http2FrameWatch extends Http2FrameLogger {

    private final Http2ConnectionGuard guard;
    private final Http2Abuse abuse;
    private boolean logged;

    Http2FrameWatch(Http2ConnectionGuard guard, Http2Abuse abuse) {
        super(LogLevel.TRACE, Http2FrameWatch.class);
        this.guard = guard;
        this.abuse = abuse;
    }

    private void read(Direction direction) {
        if (direction == Direction.INBOUND) {
            guard.frameRead();
        }
    }

    private void refused(String code, String detail) {
        abuse.note(code, detail, guard.clientIp(), !logged);
        logged = true;
    }

    @Override
    public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
        read(direction);
        if (direction == Direction.OUTBOUND && errorCode == Http2Error.REFUSED_STREAM.code()) {
            refused("REFUSED_STREAM", "stream " + streamId + " refused: more than http2.maxConcurrentStreams open");
        }
    }

    @Override
    public void logGoAway(Direction direction, ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
        read(direction);
        if (direction == Direction.OUTBOUND && Http2Abuse.clientsFault(errorCode)) {
            Http2Error error = Http2Error.valueOf(errorCode);
            refused(error == null ? Long.toString(errorCode) : error.name(), "connection ended: "
                    + debugData.toString(debugData.readerIndex(), Math.min(200, debugData.readableBytes()), StandardCharsets.UTF_8));
        }
    }

    @Override
    public void logData(Direction direction, ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endStream) {
        read(direction);
    }

    @Override
    public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                           boolean endStream) {
        read(direction);
    }

    @Override
    public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                           short weight, boolean exclusive, int padding, boolean endStream) {
        read(direction);
    }

    @Override
    public void logPriority(Direction direction, ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
                            boolean exclusive) {
        read(direction);
    }

    @Override
    public void logSettingsAck(Direction direction, ChannelHandlerContext ctx) {
        read(direction);
    }

    @Override
    public void logSettings(Direction direction, ChannelHandlerContext ctx, Http2Settings settings) {
        read(direction);
    }

    @Override
    public void logPing(Direction direction, ChannelHandlerContext ctx, long data) {
        read(direction);
    }

    @Override
    public void logPingAck(Direction direction, ChannelHandlerContext ctx, long data) {
        read(direction);
    }

    @Override
    public void logPushPromise(Direction direction, ChannelHandlerContext ctx, int streamId, int promisedStreamId, Http2Headers headers,
                               int padding) {
        read(direction);
    }

    @Override
    public void logWindowsUpdate(Direction direction, ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
        read(direction);
    }

    @Override
    public void logUnknownFrame(Direction direction, ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
                                ByteBuf data) {
        read(direction);
    }
}
