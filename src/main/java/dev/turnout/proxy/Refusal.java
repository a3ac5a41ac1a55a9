package dev.turnout.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Why Turnout answers a request itself: the status, the error code and a detail for whoever reads
 * the answer; after routing, the pool and the backend to blame (null when none is).
 */
record Refusal(HttpResponseStatus status, String error, String detail, String pool, String backend) {

    static Refusal of(HttpResponseStatus status, String error, String detail) {
        return new Refusal(status, error, detail, null, null);
    }

    static Refusal badGateway(String detail) {
        return of(HttpResponseStatus.BAD_GATEWAY, "bad_gateway", detail);
    }

    static Refusal gatewayTimeout(String detail) {
        return of(HttpResponseStatus.GATEWAY_TIMEOUT, "gateway_timeout", detail);
    }

    static Refusal serviceUnavailable(String detail) {
        return of(HttpResponseStatus.SERVICE_UNAVAILABLE, "service_unavailable", detail);
    }

    static Refusal requestTimeout(String detail) {
        return of(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout", detail);
    }

    /** This refusal, naming the pool the request was routed to and the backend to blame, if one is. */
    Refusal at(String pool, String backend) {
        return new Refusal(status, error, detail, pool, backend);
    }

    /** A 4xx: the client caused it, so no pool is judged by it. */
    boolean clientsFault() {
        return status.code() < 500;
    }
}
