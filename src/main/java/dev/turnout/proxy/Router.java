package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Picks the pool for a request: the active one, unless preview routing names another by header
 * ({@code X-Environment: green}) or by path prefix ({@code /green/...}). Preview marks are removed
 * before the request goes on, so backends see the request as a normal one.
 */
final class Router {

    /** The pool a request goes to; {@code preview} when it was asked for by name rather than by being active. */
    record Route(Pool pool, boolean preview) {}

    private Router() {}

    /** The route, or null when the preview header names no pool (the caller answers 400). */
    static Route route(HttpRequest request, RoutingSnapshot snapshot) {
        ProxyConfig.Preview preview = snapshot.config().preview();
        if (preview.header().isPresent()) {
            String wanted = request.headers().get(preview.header().get());
            if (wanted != null) {
                request.headers().remove(preview.header().get());
                Pool pool = snapshot.pool(wanted.trim()).orElse(null);
                return pool == null ? null : new Route(pool, pool != snapshot.active());
            }
        }
        if (preview.pathPrefix()) {
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
}
