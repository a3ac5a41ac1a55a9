package dev.turnout.proxy;

import io.netty.handler.codec.http2.Http2Error;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What HTTP/2 clients were stopped for: a stream refused past {@code http2.maxConcurrentStreams},
 * and every connection ended for what the client sent (rapid reset and the other floods end with
 * ENHANCE_YOUR_CALM, a header block past {@code maxHeaderListSize} or a broken frame with another
 * code). Netty's codec enforces the limits; {@link Http2FrameWatch} hears each RST_STREAM and
 * GOAWAY it sends. Counted by error code for GET /admin/status; the first of each connection is logged.
 */
public final class Http2Abuse {

    private static final Logger log = LoggerFactory.getLogger(Http2Abuse.class);

    private final ConcurrentMap<String, LongAdder> counts = new ConcurrentHashMap<>();

    /** Refused streams and connections ended for an error, by error code. */
    public Map<String, Long> counts() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((code, n) -> copy.put(code, n.sum()));
        return copy;
    }

    /**
     * Whether a GOAWAY with {@code errorCode} says the client did something wrong. INTERNAL_ERROR is
     * what the codec sends when the connection broke under it (a reset, a TLS alert): not the
     * client's abuse, and not counted.
     */
    static boolean clientsFault(long errorCode) {
        return errorCode != Http2Error.NO_ERROR.code() && errorCode != Http2Error.INTERNAL_ERROR.code();
    }

    /** Counts one refusal; {@code firstOnConnection}: it is also logged, with what the client did. */
    void note(String code, String detail, CharSequence clientIp, boolean firstOnConnection) {
        counts.computeIfAbsent(code, c -> new LongAdder()).increment();
        if (firstOnConnection) {
            log.warn("HTTP/2 client {}: {} ({}); further ones on this connection are counted, not logged", clientIp, detail, code);
        }
    }
}
