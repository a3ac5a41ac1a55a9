package dev.turnout.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.Locale;
import java.util.Optional;

/**
 * What keeps other web pages from using the admin API through an operator's browser, now that a
 * browser is one of its clients (the dashboard). Without a token, the admin listener is on loopback,
 * where any page the operator visits can reach it: a cross-site form could POST a switch, and a page
 * whose name an attacker re-points at 127.0.0.1 (DNS rebinding) could read the status. So a call
 * that changes something must come from the dashboard's own origin, and without a token the
 * {@code Host} must name the loopback. curl and scripts send neither {@code Origin} nor a foreign
 * {@code Host}, so they are not affected.
 */
final class BrowserGuard {

    private BrowserGuard() {}

    /** Why the request is refused with 403, or empty when it may go on. */
    static Optional<String> refusal(HttpMethod method, HttpHeaders headers, boolean tokenSet) {
        String host = headers.get(HttpHeaderNames.HOST, "");
        if (!tokenSet && !host.isEmpty() && !loopback(host)) {
            return Optional.of("without admin.token, the admin API answers only requests for a loopback host (Host: " + host + ")");
        }
        if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
            return Optional.empty();
        }
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        if ("cross-site".equals(headers.get("Sec-Fetch-Site"))
                || origin != null && !origin.equalsIgnoreCase("http://" + host) && !origin.equalsIgnoreCase("https://" + host)) {
            return Optional.of("a call from another web page's origin (" + origin + ") may not change anything here");
        }
        return Optional.empty();
    }

    private static boolean loopback(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        int colon = name.startsWith("[") ? name.indexOf("]:") + 1 : name.lastIndexOf(':');
        if (colon > 0) {
            name = name.substring(0, colon);
        }
        return name.equals("localhost") || name.endsWith(".localhost") || name.startsWith("127.") || name.equals("[::1]");
    }
}
