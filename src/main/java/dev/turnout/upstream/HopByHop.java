package dev.turnout.upstream;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Which header names never cross the proxy (RFC 9110, 7.6.1): policy, not parsing, so it lives
 * here once and both directions are handed it. Names are held as lower-case bytes because the
 * response side matches them in place, in the array a head was copied into.
 */
public final class HopByHop {

    private static final HopByHop STANDARD = of(List.of(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade"));

    private final List<String> names;
    private final byte[][] lowerCase;

    private HopByHop(List<String> names) {
        this.names = names;
        this.lowerCase = names.stream().map(n -> n.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
    }

    /** The names RFC 9110 makes hop-by-hop, and Proxy-Connection, which old clients still send. */
    public static HopByHop standard() {
        return STANDARD;
    }

    public static HopByHop of(List<String> names) {
        return new HopByHop(names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList());
    }

    /** The names, lower-case. */
    public List<String> names() {
        return names;
    }

    /** Whether the {@code length} bytes at {@code from} are one of the names, in any case. */
    public boolean matches(byte[] in, int from, int length) {
        for (byte[] name : lowerCase) {
            if (length == name.length && equalsLowerCase(in, from, name)) {
                return true;
            }
        }
        return false;
    }

    /** Exact for any byte, not only for token characters: {@code '\r' | 0x20} is {@code '-'}. */
    private static boolean equalsLowerCase(byte[] in, int from, byte[] lower) {
        for (int k = 0; k < lower.length; k++) {
            byte b = in[from + k];
            byte l = lower[k];
            if (b != l && !(l >= 'a' && l <= 'z' && b == l - 32)) {
                return false;
            }
        }
        return true;
    }
}
