package dev.turnout.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.logging.LogLevel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What HTTP/2 clients were stopped for: a stream refused past {@code http2.maxConcurrentStreams},
 * and every connection ended with an error code (rapid reset and the other floods end with
 * ENHANCE_YOUR_CALM, a header block past {@code maxHeaderListSize} or a broken frame with another
 * code). Netty's codec enforces the limits; this hears each RST_STREAM and GOAWAY the codec sends,
 * counts it by its error code for GET /admin/status, and logs the first of each connection.
 */
public final class Http2Abuse {

    private static final Logger log = LoggerFactory.getLogger(Http2Abuse.class);

    private final ConcurrentMap<String, LongAdder> counts = new ConcurrentHashMap<>();

    /** Refused streams and connection errors so far, by error code. */
    public Map<String, Long> counts() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((code, n) -> copy.put(code, n.sum()));
        return copy;
    }

    /** The listener for one connection's codec; its first refusal or error is logged. */
    Http2FrameLogger watcher(CharSequence clientIp) {
        return new Watcher(clientIp);
    }

    private final class Watcher extends Http2FrameLogger {
        private final CharSequence clientIp;
        private boolean logged;

        Watcher(CharSequence clientIp) {
            super(LogLevel.TRACE, Http2Abuse.class);
            this.clientIp = clientIp;
        }

        @Override
        public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
            if (direction == Direction.OUTBOUND && errorCode == Http2Error.REFUSED_STREAM.code()) {
                note("REFUSED_STREAM", "stream " + streamId + " refused: more than http2.maxConcurrentStreams open");
            }
        }

        @Override
        public void logGoAway(Direction direction, ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
            if (direction == Direction.OUTBOUND && errorCode != Http2Error.NO_ERROR.code()) {
                Http2Error error = Http2Error.valueOf(errorCode);
                note(error == null ? Long.toString(errorCode) : error.name(),
                        "connection ended: " + debugData.toString(debugData.readerIndex(), Math.min(200, debugData.readableBytes()), StandardCharsets.UTF_8));
            }
        }

        private void note(String code, String detail) {
            counts.computeIfAbsent(code, c -> new LongAdder()).increment();
            if (!logged) {
                logged = true;
                log.warn("HTTP/2 client {}: {} ({}); further ones on this connection are counted, not logged", clientIp, detail, code);
            }
        }
    }
}
