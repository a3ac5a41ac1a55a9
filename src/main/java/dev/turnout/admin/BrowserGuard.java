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
 * {@code Host} must be a name that cannot be rebound. curl and scripts send no {@code Origin} and
 * an address or {@code localhost} as {@code Host}, so they are not affected.
 */
final class BrowserGuard {

    private BrowserGuard() {}

    /** Why the request is refused with 403, or empty when it may go on. */
    static Optional<String> refusal(HttpMethod method, HttpHeaders headers, boolean tokenSet) {
        String host = headers.get(HttpHeaderNames.HOST, "");
        if (!tokenSet && !unrebindable(host)) {
            return Optional.of("without admin.token, the admin API does not answer requests for a domain name (Host: " + host
                    + "); use an IP address, localhost, or set admin.token");
        }
        boolean reading = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
        // A browser says where a request comes from: another site's page may follow a link to the
        // dashboard, and nothing else (not even open event streams, which would take their slots).
        if ("cross-site".equals(headers.get("Sec-Fetch-Site")) && !(reading && "navigate".equals(headers.get("Sec-Fetch-Mode")))) {
            return Optional.of("a request from another site's page is not answered here");
        }
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (!reading && origin != null && !origin.equalsIgnoreCase("http://" + host) && !origin.equalsIgnoreCase("https://" + host)) {
            return Optional.of("a call from another web page's origin (" + origin + ") may not change anything here");
        }
        return Optional.empty();
    }

    /**
     * Whether {@code host} is a name no attacker can point at this machine: an IP literal, a name of
     * one label (a search domain's, a container's), {@code localhost} or under {@code .localhost}.
     * Rebinding needs a name the attacker serves a page from first, which is a public, dotted one.
     */
    private static boolean unrebindable(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            return true;
        }
        int colon = name.lastIndexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return name.indexOf('.') < 0 || name.endsWith(".localhost") || name.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9');
    }
}
