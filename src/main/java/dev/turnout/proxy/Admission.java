package dev.turnout.proxy;

import dev.turnout.routing.RoutingSnapshot;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Whether a request that came in becomes an exchange, the same for every client protocol: the
 * checks of {@link ClientRules}, then the pool it goes to. Exactly one of the two is set.
 */
record Admission(Router.Route route, Refusal refusal) {

    static Admission of(HttpRequest request, RoutingSnapshot snapshot) {
        Refusal refusal = ClientRules.check(request, snapshot.config().limits());
        return refusal == null ? route(request, snapshot) : new Admission(null, refusal);
    }

    /** The route of a request that passed {@link ClientRules#check}. */
    static Admission route(HttpRequest request, RoutingSnapshot snapshot) {
        Router.Route route = Router.route(request, snapshot);
        if (route == null) {
            return new Admission(null, Refusal.of(HttpResponseStatus.BAD_REQUEST, "unknown_pool",
                    snapshot.config().preview().header().orElse("") + " names no pool (pools: "
                            + String.join(", ", snapshot.poolNames()) + ")"));
        }
        return new Admission(route, null);
    }
}
