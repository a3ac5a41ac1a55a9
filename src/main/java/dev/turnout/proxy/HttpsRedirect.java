package dev.turnout.proxy;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The plain listener's answer with {@code tls.redirectHttp}: 301 for GET and HEAD, 308 for the
 * other methods (a POST must stay a POST), to the same host and target over HTTPS. /health stays
 * proxied, since load balancers probe it over plain HTTP, and {@code edgeHealth.path} is answered
 * before the redirect is considered ({@link Admission#beforeRouting}).
 */
final class HttpsRedirect {

    /** What the access log's {@code error} says of a redirect: Turnout answered it itself. */
    static final String ERROR = "https_redirect";

    private HttpsRedirect() {}

    static boolean isHealthCheck(HttpRequest request) {
        String uri = request.uri();
        return uri.equals("/health") || uri.startsWith("/health?");
    }

    /** The answer to {@code request}: a redirect or, without a usable Host, a 400; {@code Connection: close} when the connection ends with it. */
    static FullHttpResponse answer(HttpRequest request, int redirectPort, String requestId) {
        String host = hostWithoutPort(request.headers().get(HttpHeaderNames.HOST));
        String target = request.uri();
        if (host == null || !target.startsWith("/")) {
            return ErrorAnswers.of(Refusal.of(HttpResponseStatus.BAD_REQUEST, "bad_request", host == null
                    ? "a redirect to https needs a Host header naming a host"
                    : "a redirect to https needs a target that starts with /"), requestId, true);
        }
        boolean keepsMethod = !HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method());
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                keepsMethod ? HttpResponseStatus.PERMANENT_REDIRECT : HttpResponseStatus.MOVED_PERMANENTLY);
        response.headers()
                .set(HttpHeaderNames.LOCATION, "https://" + host + (redirectPort == 443 ? "" : ":" + redirectPort) + target)
                .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        // The body, if the request has one, is not read: the connection ends with the answer.
        boolean close = Admission.closesAfterOwnAnswer(request);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /**
     * The host of a Host header, without its port; null when it is missing or not a plain host name,
     * IPv4 or bracketed IPv6 address (anything else would let a client shape the Location we send).
     */
    static String hostWithoutPort(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        int end;
        if (value.charAt(0) == '[') {
            end = value.indexOf(']') + 1;
            if (end == 0) {
                return null;
            }
        } else {
            int colon = value.indexOf(':');
            end = colon < 0 ? value.length() : colon;
        }
        if (end == 0 || (end < value.length() && value.charAt(end) != ':')) {
            return null;
        }
        for (int i = 0; i < end; i++) {
            char c = value.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '[' || c == ']' || c == ':';
            if (!allowed) {
                return null;
            }
        }
        return value.substring(0, end);
    }
}
