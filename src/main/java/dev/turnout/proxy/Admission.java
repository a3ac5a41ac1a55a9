package dev.turnout.proxy;

import dev.turnout.base.Lifecycle;
import dev.turnout.routing.RoutingSnapshot;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Whether a request that came in becomes an exchange, the same for every client protocol: the
 * checks of {@link ClientRules}, then Turnout's own health at {@code edgeHealth.path}, then the
 * pool it goes to. Exactly one of the three is set: a route, a refusal, or an answer of Turnout's own.
 */
record Admission(Router.Route route, Refusal refusal, FullHttpResponse answer) {

    static Admission of(HttpRequest request, RoutingSnapshot snapshot, Lifecycle lifecycle) {
        Admission before = beforeRouting(request, snapshot, lifecycle);
        return before != null ? before : route(request, snapshot);
    }

    /**
     * What is decided before routing: a refusal by {@link ClientRules}, or the edge health's answer;
     * null when the request goes on (to routing, or on a redirecting listener to the redirect).
     */
    static Admission beforeRouting(HttpRequest request, RoutingSnapshot snapshot, Lifecycle lifecycle) {
        Refusal refusal = ClientRules.check(request, snapshot.config().limits());
        if (refusal != null) {
            return new Admission(null, refusal, null);
        }
        if (EdgeHealth.asks(request, snapshot.config())) {
            return new Admission(null, null, EdgeHealth.answer(request, lifecycle.stopping()));
        }
        return null;
    }

    /** The route of a request that passed {@link #beforeRouting}. */
    static Admission route(HttpRequest request, RoutingSnapshot snapshot) {
        Router.Route route = Router.route(request, snapshot);
        if (route == null) {
            return new Admission(null, Refusal.of(HttpResponseStatus.BAD_REQUEST, "unknown_pool",
                    snapshot.config().preview().header().orElse("") + " names no pool (pools: "
                            + String.join(", ", snapshot.poolNames()) + ")"), null);
        }
        return new Admission(route, null, null);
    }

    /**
     * Whether an HTTP/1.1 connection ends with an answer Turnout gives before reading the request's
     * body: the client asked for that, or sent a body, which stays unread and would be taken for the
     * next request.
     */
    static boolean closesAfterOwnAnswer(HttpRequest request) {
        return !HttpUtil.isKeepAlive(request) || HttpUtil.isTransferEncodingChunked(request)
                || HttpUtil.getContentLength(request, 0L) > 0;
    }
}
