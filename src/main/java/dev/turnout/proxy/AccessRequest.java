package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/**
 * What the access log line of one request says about the request, taken when its head arrived,
 * before the exchange rewrites anything: null when the line is not to be written at all (the log
 * is off, or the path is excluded).
 *
 * @param target    the request target as the client sent it, query included; {@code -} when no head was read
 * @param protocol  {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}
 * @param startNanos when the head arrived, for the duration of answers given before routing
 */
record AccessRequest(CharSequence client, String method, String target, String protocol, String requestId, String userAgent,
                     String referer, ProxyConfig.AccessLog.Format format, long startNanos) {

    static final String NONE = "-";

    /** The line of {@code request}, or null when {@code settings} turn it off or exclude its path. */
    static AccessRequest of(HttpRequest request, CharSequence client, String protocol, String requestId,
                            ProxyConfig.AccessLog settings) {
        if (!settings.enabled() || settings.exclude().contains(pathOf(request.uri()))) {
            return null;
        }
        return new AccessRequest(client, request.method().name(), request.uri(), protocol, requestId,
                request.headers().get(HttpHeaderNames.USER_AGENT), request.headers().get(HttpHeaderNames.REFERER),
                settings.format(), System.nanoTime());
    }

    /** The line of a request whose head never decoded (malformed, too slow): there is no method or target to log. */
    static AccessRequest unread(CharSequence client, String protocol, String requestId, ProxyConfig.AccessLog settings) {
        if (!settings.enabled()) {
            return null;
        }
        return new AccessRequest(client, NONE, NONE, protocol, requestId, null, null, settings.format(), System.nanoTime());
    }

    private static String pathOf(String target) {
        int query = target.indexOf('?');
        return query < 0 ? target : target.substring(0, query);
    }
}
