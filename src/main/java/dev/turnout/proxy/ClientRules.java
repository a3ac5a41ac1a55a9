package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.Iterator;

/** Checks on a decoded request head that the decoder does not make: what must be refused before routing. */
final class ClientRules {

    /** Why a request is refused, as the answer the client gets. */
    record Refusal(HttpResponseStatus status, String error, String detail) {}

    private ClientRules() {}

    /** Null when the request may go on. */
    static Refusal check(HttpRequest request, ProxyConfig.Limits limits) {
        HttpHeaders headers = request.headers();
        HttpVersion version = request.protocolVersion();
        if (!version.equals(HttpVersion.HTTP_1_1) && !version.equals(HttpVersion.HTTP_1_0)) {
            return new Refusal(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "http_version_not_supported",
                    version.text() + " is not supported (expected: HTTP/1.1 or HTTP/1.0)");
        }
        if (version.equals(HttpVersion.HTTP_1_1)) {
            // RFC 9112, 3.2: a request without exactly one Host is answered 400.
            Iterator<String> hosts = headers.valueStringIterator(HttpHeaderNames.HOST);
            if (!hosts.hasNext()) {
                return new Refusal(HttpResponseStatus.BAD_REQUEST, "bad_request", "missing Host header");
            }
            hosts.next();
            if (hosts.hasNext()) {
                return new Refusal(HttpResponseStatus.BAD_REQUEST, "bad_request", "more than one Host header");
            }
        }
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
            return new Refusal(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed",
                    "only Expect: 100-continue is supported");
        }
        long max = limits.maxBodyBytes();
        if (max > 0 && HttpUtil.getContentLength(request, 0L) > max) {
            return tooLarge(max);
        }
        return null;
    }

    /** The answer to a request the decoder could not accept; the decoder's own words go in the detail. */
    static Refusal malformed(Throwable cause) {
        String detail = "malformed request: " + cause.getMessage();
        if (cause instanceof TooLongHttpLineException) {
            return new Refusal(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long", detail);
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new Refusal(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header_fields_too_large", detail);
        }
        if (cause instanceof TooLongFrameException) {
            return new Refusal(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large", detail);
        }
        return new Refusal(HttpResponseStatus.BAD_REQUEST, "bad_request", detail);
    }

    static Refusal tooLarge(long max) {
        return new Refusal(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                "request body larger than limits.maxBodyBytes (" + max + " bytes)");
    }
}
