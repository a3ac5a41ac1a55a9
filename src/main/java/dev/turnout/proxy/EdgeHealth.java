package dev.turnout.proxy;

import dev.turnout.base.JsonResponse;
import dev.turnout.config.ProxyConfig;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

/**
 * {@code edgeHealth.path} on the traffic listeners: Turnout's own health for the load balancer in
 * front, answered before routing and never by a backend, like HAProxy's {@code monitor-uri}: every
 * method gets the same answer, HEAD without its body. Its status turns 503 from the moment Turnout
 * is stopping, while the listeners still serve for {@code shutdown.delay}.
 */
final class EdgeHealth {

    private EdgeHealth() {}

    /** Whether {@code request} asks for the edge health: its path exactly, any query string allowed. */
    static boolean asks(HttpRequest request, ProxyConfig config) {
        if (config.edgeHealth().path().isEmpty()) {
            return false;
        }
        String path = config.edgeHealth().path().get();
        String uri = request.uri();
        return uri.startsWith(path) && (uri.length() == path.length() || uri.charAt(path.length()) == '?');
    }

    /**
     * The answer, {@code 200 {"status":"ok"}} or {@code 503 {"status":"stopping"}}; without its body
     * for HEAD (Content-Length stays what a GET would get).
     */
    static FullHttpResponse answer(HttpRequest request, boolean stopping) {
        FullHttpResponse response = JsonResponse.health(stopping);
        if (HttpMethod.HEAD.equals(request.method())) {
            FullHttpResponse bodyless = new DefaultFullHttpResponse(response.protocolVersion(), response.status(),
                    Unpooled.EMPTY_BUFFER, response.headers(), response.trailingHeaders());
            response.release();
            response = bodyless;
        }
        return response;
    }
}
