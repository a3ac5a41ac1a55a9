package dev.turnout.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/** Header rewriting at the edge: hop-by-hop headers never cross the proxy, forwarded headers tell the backend who asked. */
final class HeaderRules {

    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private static final AsciiString[] HOP_BY_HOP = {
        HttpHeaderNames.CONNECTION,
        HttpHeaderNames.KEEP_ALIVE,
        PROXY_CONNECTION,
        HttpHeaderNames.PROXY_AUTHENTICATE,
        HttpHeaderNames.PROXY_AUTHORIZATION,
        HttpHeaderNames.TE,
        HttpHeaderNames.TRAILER,
        HttpHeaderNames.TRANSFER_ENCODING,
        HttpHeaderNames.UPGRADE,
    };

    private HeaderRules() {}

    /** Removes the hop-by-hop headers and every header named in a Connection header. */
    static void stripHopByHop(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
            for (String value : values) {
                for (String token : value.split(",")) {
                    String name = token.trim();
                    if (!name.isEmpty()) {
                        headers.remove(name);
                    }
                }
            }
        }
        for (AsciiString name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }

    /**
     * Tells the backend who asked. From a trusted proxy, X-Forwarded-For gains the peer address and
     * the other forwarded headers it set are kept; from anyone else, all of them are replaced, so a
     * client cannot pass itself off as someone else.
     */
    static void addForwarded(HttpHeaders headers, String clientIp, boolean trustedPeer) {
        String prior = trustedPeer && headers.contains(X_FORWARDED_FOR) ? String.join(", ", headers.getAll(X_FORWARDED_FOR)) : null;
        headers.set(X_FORWARDED_FOR, prior == null || prior.isBlank() ? clientIp : prior + ", " + clientIp);
        if (!trustedPeer || !headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, HTTP);
        }
        if (!trustedPeer || !headers.contains(X_FORWARDED_HOST)) {
            String host = headers.get(HttpHeaderNames.HOST);
            if (host != null) {
                headers.set(X_FORWARDED_HOST, host);
            } else {
                headers.remove(X_FORWARDED_HOST);
            }
        }
        if (!trustedPeer || !headers.contains(X_REAL_IP)) {
            headers.set(X_REAL_IP, clientIp);
        }
    }
}
