package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.Iterator;

/**
 * Checks on a decoded request head that the decoder does not make: what must be refused before
 * routing. An absolute-form target is rewritten here to the origin-form that backends and the
 * path-prefix routing expect.
 */
final class ClientRules {

    private ClientRules() {}

    /** Null when the request may go on. */
    static Refusal check(HttpRequest request, ProxyConfig.Limits limits) {
        HttpHeaders headers = request.headers();
        HttpVersion version = request.protocolVersion();
        if (!version.equals(HttpVersion.HTTP_1_1) && !version.equals(HttpVersion.HTTP_1_0)) {
            return Refusal.of(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "http_version_not_supported",
                    version.text() + " is not supported (expected: HTTP/1.1 or HTTP/1.0)");
        }
        if (headers.size() > limits.maxHeaders()) {
            return Refusal.of(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header_fields_too_large",
                    "more than limits.maxHeaders (" + limits.maxHeaders() + ") header fields");
        }
        HttpMethod method = request.method();
        if (method.equals(HttpMethod.CONNECT) || method.equals(HttpMethod.TRACE)) {
            // CONNECT would make the edge a tunnel to anywhere; TRACE echoes credentials back to a script.
            return Refusal.of(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed", method.name() + " is not proxied");
        }
        if (version.equals(HttpVersion.HTTP_1_1)) {
            // RFC 9112, 3.2: a request without exactly one Host is answered 400.
            Iterator<String> hosts = headers.valueStringIterator(HttpHeaderNames.HOST);
            if (!hosts.hasNext()) {
                return Refusal.of(HttpResponseStatus.BAD_REQUEST, "bad_request", "missing Host header");
            }
            hosts.next();
            if (hosts.hasNext()) {
                return Refusal.of(HttpResponseStatus.BAD_REQUEST, "bad_request", "more than one Host header");
            }
        }
        Refusal target = toOriginForm(request);
        if (target != null) {
            return target;
        }
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
            return Refusal.of(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed",
                    "only Expect: 100-continue is supported");
        }
        long max = limits.maxBodyBytes();
        if (max > 0 && HttpUtil.getContentLength(request, 0L) > max) {
            return tooLarge(max);
        }
        return null;
    }

    /**
     * Accepts origin-form, and {@code *} for OPTIONS. An absolute-form target becomes origin-form
     * with Host set from its authority (RFC 9112, 3.2.2): backends, and the path-prefix routing,
     * know only paths, and the authority is the host the client meant.
     */
    private static Refusal toOriginForm(HttpRequest request) {
        String uri = request.uri();
        if (uri.startsWith("/") || (uri.equals("*") && request.method().equals(HttpMethod.OPTIONS))) {
            return null;
        }
        int from = uri.regionMatches(true, 0, "http://", 0, 7) ? 7 : uri.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
        if (from < 0) {
            return badTarget("is not /path, http(s)://authority/path, or * for OPTIONS");
        }
        int to = from;
        while (to < uri.length() && uri.charAt(to) != '/' && uri.charAt(to) != '?') {
            if (!isAuthorityChar(uri.charAt(to))) {
                // Userinfo (@) only makes a phishing host look like another (RFC 9110, 4.2.4).
                return badTarget("has an authority that is not host[:port]");
            }
            to++;
        }
        if (to == from) {
            return badTarget("has no authority");
        }
        String authority = uri.substring(from, to);
        String rest = uri.substring(to);
        request.setUri(rest.startsWith("/") ? rest : "/" + rest);
        request.headers().set(HttpHeaderNames.HOST, authority);
        return null;
    }

    /** What RFC 3986 allows in a host and port: unreserved, sub-delims, percent-encoding, IP-literal brackets. */
    private static boolean isAuthorityChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~!$&'()*+,;=:[]%".indexOf(c) >= 0;
    }

    private static Refusal badTarget(String why) {
        return Refusal.of(HttpResponseStatus.BAD_REQUEST, "bad_request", "request target " + why);
    }

    /** The answer to a request the decoder could not accept; the decoder's own words go in the detail. */
    static Refusal malformed(Throwable cause) {
        String detail = "malformed request: " + cause.getMessage();
        if (cause instanceof TooLongHttpLineException) {
            return Refusal.of(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long", detail);
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return Refusal.of(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header_fields_too_large", detail);
        }
        if (cause instanceof TooLongFrameException) {
            return Refusal.of(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large", detail);
        }
        return Refusal.of(HttpResponseStatus.BAD_REQUEST, "bad_request", detail);
    }

    static Refusal tooLarge(long max) {
        return Refusal.of(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                "request body larger than limits.maxBodyBytes (" + max + " bytes)");
    }
}
