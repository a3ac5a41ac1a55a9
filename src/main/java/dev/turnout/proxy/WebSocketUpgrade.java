package dev.turnout.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Which Upgrade requests cross the proxy: an HTTP/1.1 GET without a body that asks for WebSocket
 * (RFC 6455, 4.1) keeps its Connection and Upgrade headers, hop-by-hop as they are. Any other
 * Upgrade (h2c, a protocol Turnout does not know, one on a request with a body) loses them with the
 * other hop-by-hop headers, and the request proceeds as plain HTTP/1.1, as nginx does by default.
 */
final class WebSocketUpgrade {

    private WebSocketUpgrade() {}

    /** Read before the hop-by-hop headers are stripped. */
    static boolean requested(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && HttpMethod.GET.equals(request.method())
                && headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                // Bytes after the head are the tunnel's: a body would be read as frames by one side and not the other.
                && !HttpUtil.isTransferEncodingChunked(request)
                && HttpUtil.getContentLength(request, 0L) == 0;
    }

    /** Asks the backend for the switch again, once the hop-by-hop headers are gone: for WebSocket alone, whatever else the client listed. */
    static void keep(HttpHeaders headers) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
    }
}
