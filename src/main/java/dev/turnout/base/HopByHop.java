package dev.turnout.base;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;
import java.util.List;

/** The hop-by-hop header names (RFC 9110, 7.6.1): they never cross the proxy, in either direction. */
public final class HopByHop {

    private static final AsciiString[] NAMES = {
        HttpHeaderNames.CONNECTION,
        HttpHeaderNames.KEEP_ALIVE,
        AsciiString.cached("proxy-connection"),
        HttpHeaderNames.PROXY_AUTHENTICATE,
        HttpHeaderNames.PROXY_AUTHORIZATION,
        HttpHeaderNames.TE,
        HttpHeaderNames.TRAILER,
        HttpHeaderNames.TRANSFER_ENCODING,
        HttpHeaderNames.UPGRADE,
    };

    private HopByHop() {}

    /** The names, lower-case. */
    public static List<AsciiString> names() {
        return List.of(NAMES);
    }

    /** Whether {@code name} is one of them, in any case; most names are ruled out by their length alone. */
    public static boolean is(CharSequence name) {
        int length = name.length();
        if (length != 2 && length != 7 && length != 10 && (length < 16 || length > 19)) {
            return false;
        }
        for (AsciiString hop : NAMES) {
            if (hop.length() == length && hop.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
