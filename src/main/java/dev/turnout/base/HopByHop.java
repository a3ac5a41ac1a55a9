package dev.turnout.base;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Which header names never cross the proxy, in either direction (RFC 9110, 7.6.1): policy, not
 * parsing, so it lives here once and both sides are handed it. The request side matches decoded
 * names; the response side matches bytes in place, in the array a head was copied into.
 */
public final class HopByHop {

    private static final HopByHop STANDARD = of(List.of(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade"));

    private final List<String> names;
    private final byte[][] lowerCase;
    /** Bit n is set when a name is n characters long: most names are ruled out by their length alone. */
    private final long lengths;

    private HopByHop(List<String> names) {
        this.names = names;
        this.lowerCase = names.stream().map(n -> n.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
        this.lengths = names.stream().mapToLong(n -> n.length() < 64 ? 1L << n.length() : 0).reduce(0, (a, b) -> a | b);
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

    /** Whether {@code name} is one of the names, in any case. */
    public boolean matches(CharSequence name) {
        int length = name.length();
        if (length > 63 || (lengths & (1L << length)) == 0) {
            return false;
        }
        for (byte[] lower : lowerCase) {
            if (lower.length == length && equalsLowerCase(name, lower)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the {@code length} bytes at {@code from} are one of the names, in any case. */
    public boolean matches(byte[] in, int from, int length) {
        if (length > 63 || (lengths & (1L << length)) == 0) {
            return false;
        }
        for (byte[] lower : lowerCase) {
            if (length == lower.length && equalsLowerCase(in, from, lower)) {
                return true;
            }
        }
        return false;
    }

    /** Exact for any byte, not only for token characters: {@code '\r' | 0x20} is {@code '-'}. */
    private static boolean equalsLowerCase(byte[] in, int from, byte[] lower) {
        for (int k = 0; k < lower.length; k++) {
            if (!sameLetter(in[from + k], lower[k])) {
                return false;
            }
        }
        return true;
    }

    private static boolean equalsLowerCase(CharSequence name, byte[] lower) {
        for (int k = 0; k < lower.length; k++) {
            char c = name.charAt(k);
            if (c > 0x7f || !sameLetter((byte) c, lower[k])) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameLetter(byte b, byte lower) {
        return b == lower || (lower >= 'a' && lower <= 'z' && b == lower - 32);
    }
}
