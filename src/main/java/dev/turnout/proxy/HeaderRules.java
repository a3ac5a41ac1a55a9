package dev.turnout.proxy;

import dev.turnout.base.HopByHop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Header rewriting at the edge: hop-by-hop headers never cross the proxy, names a backend would
 * misread do not reach it, forwarded headers tell the backend who asked.
 */
final class HeaderRules {

    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    private static final AsciiString X_FORWARDED_PREFIX = AsciiString.cached("x-forwarded-");
    static final AsciiString HTTP = AsciiString.cached("http");
    static final AsciiString HTTPS = AsciiString.cached("https");

    /** Besides every X-Forwarded-*: what backends and frameworks take for the client's address or scheme. */
    private static final AsciiString[] CLIENT_CLAIMS = {
        AsciiString.cached("forwarded"),
        X_REAL_IP,
        AsciiString.cached("true-client-ip"),
        AsciiString.cached("x-client-ip"),
    };

    private HeaderRules() {}

    /**
     * Removes, before a request is forwarded, the hop-by-hop headers and every header named in a
     * Connection header; names with {@code _}, which a CGI or WSGI backend reads as the same variable
     * as their {@code -} spelling, unless {@code allowUnderscores}; and, from a peer that is no
     * trusted proxy, every header claiming who the client is, before {@link #addForwarded} sets its
     * own. One pass over the (few) headers present, instead of a lookup for each name that usually
     * is not. Netty's header iterator cannot remove, so the names found are collected first; the usual
     * Connection values (keep-alive, close) name no other header and add nothing to them.
     */
    static void stripRequestHeaders(HttpHeaders headers, boolean allowUnderscores, boolean trustedPeer) {
        List<CharSequence> found = null;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence name = header.getKey();
            boolean hopByHop = HopByHop.standard().matches(name);
            if (hopByHop || (!allowUnderscores && AsciiString.indexOf(name, '_', 0) >= 0) || (!trustedPeer && claimsClient(name))) {
                if (found == null) {
                    found = new ArrayList<>(4);
                }
                found.add(name);
                if (hopByHop && HttpHeaderNames.CONNECTION.contentEqualsIgnoreCase(name)) {
                    addNamedTokens(header.getValue().toString(), found);
                }
            }
        }
        if (found != null) {
            for (CharSequence name : found) {
                headers.remove(name);
            }
        }
    }

    /**
     * The trailer fields of a chunked request body, filtered like its headers; and never framing or
     * routing fields (RFC 9110, 6.5.1), which a backend might otherwise apply after the fact.
     */
    static void stripRequestTrailers(HttpHeaders trailers, boolean allowUnderscores, boolean trustedPeer) {
        stripRequestHeaders(trailers, allowUnderscores, trustedPeer);
        trailers.remove(HttpHeaderNames.CONTENT_LENGTH);
        trailers.remove(HttpHeaderNames.HOST);
    }

    /**
     * The header names a Connection value lists, but for "close" and "keep-alive", which are no
     * headers to remove, and for Content-Length and Host: the exchange frames and routes the request
     * by them, so a client that names them must not make the backend read the body as a second
     * request (smuggling) or get a request without its Host.
     */
    private static void addNamedTokens(String value, List<CharSequence> into) {
        int start = 0;
        while (start < value.length()) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? value.length() : comma;
            int from = start;
            int to = end;
            while (from < to && value.charAt(from) <= ' ') {
                from++;
            }
            while (to > from && value.charAt(to - 1) <= ' ') {
                to--;
            }
            int length = to - from;
            boolean close = length == 5 && value.regionMatches(true, from, "close", 0, 5);
            boolean keepAlive = length == 10 && value.regionMatches(true, from, "keep-alive", 0, 10);
            boolean kept = (length == 14 && value.regionMatches(true, from, "content-length", 0, 14))
                    || (length == 4 && value.regionMatches(true, from, "host", 0, 4));
            if (length > 0 && !close && !keepAlive && !kept) {
                into.add(value.substring(from, to));
            }
            start = end + 1;
        }
    }

    private static boolean claimsClient(CharSequence name) {
        int length = name.length();
        if (length >= X_FORWARDED_PREFIX.length()
                && AsciiString.regionMatches(name, true, 0, X_FORWARDED_PREFIX, 0, X_FORWARDED_PREFIX.length())) {
            return true;
        }
        for (AsciiString claim : CLIENT_CLAIMS) {
            if (claim.length() == length && claim.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Tells the backend who asked. From a trusted proxy, X-Forwarded-For gains the peer address and
     * the other forwarded headers it set are kept; from anyone else, all of them are replaced, so a
     * client cannot pass itself off as someone else. {@code scheme}: how the request reached us.
     */
    static void addForwarded(HttpHeaders headers, CharSequence clientIp, CharSequence scheme, boolean trustedPeer) {
        String prior = trustedPeer && headers.contains(X_FORWARDED_FOR) ? String.join(", ", headers.getAll(X_FORWARDED_FOR)) : null;
        headers.set(X_FORWARDED_FOR, prior == null || prior.isBlank() ? clientIp : prior + ", " + clientIp);
        if (!trustedPeer || !headers.contains(X_FORWARDED_PROTO)) {
            headers.set(X_FORWARDED_PROTO, scheme);
        }
        if (!trustedPeer || !headers.contains(X_FORWARDED_HOST)) {
            String host = headers.get(HttpHeaderNames.HOST);
            if (host != null) {
                headers.set(X_FORWARDED_HOST, host);
            } else {
                headers.remove(X_FORWARDED_HOST);
            }
        }
        if (!trustedPeer || !headers.contains(X_REAL_IP)) {
            headers.set(X_REAL_IP, clientIp);
        }
    }
}
