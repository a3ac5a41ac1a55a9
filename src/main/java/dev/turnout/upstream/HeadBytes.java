package dev.turnout.upstream;

import java.nio.charset.StandardCharsets;

/** Reading the lines of a head or trailer section in place, in the array it was copied into. */
final class HeadBytes {

    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private HeadBytes() {}

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The index of the LF of the CRLF that ends the line starting at {@code from}, or -1 when the
     * line holds a NUL, or a CR or LF of its own: some clients end a line at a bare CR or LF, and
     * would read what follows as a field the backend never sent as one. Walks each byte once, as
     * the search for the line's end did anyway.
     */
    static int lineFeed(byte[] in, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = in[i];
            if (b > '\r' || b < 0) {
                continue;
            }
            if (b == '\n') {
                return i > from && in[i - 1] == '\r' ? i : -1;
            }
            if (b == 0 || (b == '\r' && (i + 1 == to || in[i + 1] != '\n'))) {
                return -1;
            }
        }
        return -1;
    }

    static int indexOf(byte[] in, int from, int to, char c) {
        for (int i = from; i < to; i++) {
            if (in[i] == c) {
                return i;
            }
        }
        return -1;
    }

    static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    /** The first index in {@code [from, to)} that is not a space or tab, or {@code to}. */
    static int skipSpace(byte[] in, int from, int to) {
        while (from < to && isSpace(in[from])) {
            from++;
        }
        return from;
    }

    /** {@code to} moved back over trailing spaces and tabs, not before {@code from}. */
    static int trimSpace(byte[] in, int from, int to) {
        while (to > from && isSpace(in[to - 1])) {
            to--;
        }
        return to;
    }

    static boolean isToken(byte[] in, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = in[i];
            if (b < 0 || !TOKEN[b]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the {@code length} bytes at {@code i} are {@code lower}, in any case. Only for bytes
     * already known to hold no CR (which {@code | 0x20} would turn into a '-'): checked lines.
     */
    static boolean is(byte[] in, int i, int length, byte[] lower) {
        if (length != lower.length) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if ((in[i + k] | 0x20) != lower[k]) {
                return false;
            }
        }
        return true;
    }

    static int digit(byte[] in, int i) {
        byte b = in[i];
        return b >= '0' && b <= '9' ? b - '0' : -1000;
    }
}
