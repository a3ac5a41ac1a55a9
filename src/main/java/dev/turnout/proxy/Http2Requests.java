package dev.turnout.proxy;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.Map;

/**
 * An HTTP/2 request head as the HTTP/1.1 request the exchange sends upstream: the pseudo-header
 * fields become the request line and Host, cookies split across fields are joined (RFC 9113,
 * 8.2.3), and a body without Content-Length goes in chunks. Netty's HPACK decoder has already
 * refused upper-case names, connection-specific fields and pseudo-header fields after regular ones
 * (RFC 9113, 8.2.2); what it leaves to us, because HTTP/1.1 would read it as framing, is checked here.
 */
final class Http2Requests {

    /** A request head that cannot become an HTTP/1.1 request: the stream is answered with a 400. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }

        Refusal refusal() {
            return Refusal.of(HttpResponseStatus.BAD_REQUEST, "bad_request", getMessage());
        }
    }

    private Http2Requests() {}

    /**
     * @param endStream the head ended the stream: the request has no body
     */
    static HttpRequest toHttp1(Http2Headers fields, boolean endStream) throws Malformed {
        CharSequence method = fields.method();
        if (method == null) {
            throw new Malformed("missing :method");
        }
        CharSequence path = fields.path();
        boolean connect = HttpMethod.CONNECT.name().contentEquals(method);
        if (path == null && !connect) {
            // CONNECT has neither :path nor :scheme; it is refused with a 405 by ClientRules like over HTTP/1.1.
            throw new Malformed("missing :path");
        }
        if (fields.scheme() == null && !connect) {
            throw new Malformed("missing :scheme");
        }
        HttpRequest request;
        try {
            request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method.toString()),
                    path == null ? "*" : requestTarget(path));
        } catch (IllegalArgumentException e) {
            throw new Malformed("invalid :method " + method);
        }
        HttpHeaders headers = request.headers();
        StringBuilder cookies = null;
        for (Map.Entry<CharSequence, CharSequence> field : fields) {
            CharSequence name = field.getKey();
            if (name.length() > 0 && name.charAt(0) == ':') {
                continue;
            }
            CharSequence value = field.getValue();
            if (HttpHeaderNames.COOKIE.contentEquals(name)) {
                cookies = cookies == null ? new StringBuilder(value) : cookies.append("; ").append(value);
            } else if (!HttpHeaderNames.HOST.contentEquals(name) || fields.authority() == null) {
                headers.add(name, value);
            }
        }
        if (cookies != null) {
            headers.set(HttpHeaderNames.COOKIE, cookies.toString());
        }
        CharSequence authority = fields.authority();
        if (authority != null) {
            // RFC 9113, 8.3.1: :authority is the request's host, and a Host field beside it is not to be believed.
            headers.set(HttpHeaderNames.HOST, authority);
        }
        if (!endStream && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return request;
    }

    /** A :path as an HTTP/1.1 request target: printable ASCII without spaces, or the request line would break. */
    private static String requestTarget(CharSequence path) throws Malformed {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                throw new Malformed(":path holds a space, a control or a non-ASCII character");
            }
        }
        return path.toString();
    }

}
