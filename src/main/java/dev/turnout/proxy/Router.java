package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;

/**
 * Picks the pool for a request: the active one, unless preview routing names another by header
 * ({@code X-Environment: green}) or by path prefix ({@code /green/...}). Preview marks are removed
 * before the request goes on, so backends see the request as a normal one.
 */
final class Router {

    /** The pool a request goes to; {@code preview} when it was asked for by name rather than by being active. */
    record Route(Pool pool, boolean preview) {}

    private final AsciiString header;
    private final boolean pathPrefix;

    Router(ProxyConfig.Preview preview) {
        this.header = preview.header().map(AsciiString::of).orElse(null);
        this.pathPrefix = preview.pathPrefix();
    }

    /** The route, or null when the preview header names no pool (the caller answers 400). */
    Route route(HttpRequest request, RoutingSnapshot snapshot) {
        if (header != null) {
            String wanted = request.headers().get(header);
            if (wanted != null) {
                request.headers().remove(header);
                Pool pool = snapshot.pool(wanted.trim()).orElse(null);
                return pool == null ? null : new Route(pool, pool != snapshot.active());
            }
        }
        if (pathPrefix) {
            String uri = request.uri();
            for (Pool pool : snapshot.pools()) {
                int end = pool.name().length() + 1;
                if (uri.startsWith(pool.name(), 1) && uri.charAt(0) == '/'
                        && (uri.length() == end || uri.charAt(end) == '/' || uri.charAt(end) == '?')) {
                    String rest = uri.substring(end);
                    request.setUri(rest.isEmpty() || rest.charAt(0) == '?' ? "/" + rest : rest);
                    return new Route(pool, pool != snapshot.active());
                }
            }
        }
        return new Route(snapshot.active(), false);
    }

    String headerName() {
        return header == null ? null : header.toString();
    }
}
