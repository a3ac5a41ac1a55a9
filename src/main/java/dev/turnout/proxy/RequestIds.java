package dev.turnout.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The id that lets one request be followed through every hop: an incoming {@code X-Request-Id} is
 * kept when it is 1 to 128 visible ASCII characters (so it cannot break a log line or a header),
 * otherwise Turnout makes one. It goes to the backend and back to the client, and into Turnout's
 * own error answers.
 */
final class RequestIds {

    static final AsciiString HEADER = AsciiString.cached("x-request-id");
    static final int MAX_LENGTH = 128;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RequestIds() {}

    /** The request's id: the one it came with if acceptable, else a new one; {@link #set} puts it on the request. */
    static String of(HttpHeaders headers) {
        String given = headers.get(HEADER);
        return acceptable(given) ? given : generate();
    }

    /**
     * Makes {@code id} the request's one X-Request-Id, once it passed the edge's checks (which count
     * only the header fields the client sent).
     */
    static void set(HttpHeaders headers, String id) {
        headers.set(HEADER, id);
    }

    static boolean acceptable(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** 128 random bits as 32 hex digits: cheap, and unique enough to find one request among billions. */
    static String generate() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] id = new char[32];
        long bits = random.nextLong();
        for (int i = 0; i < 16; i++) {
            id[i] = HEX[(int) (bits >>> (60 - 4 * i)) & 0xf];
        }
        bits = random.nextLong();
        for (int i = 0; i < 16; i++) {
            id[16 + i] = HEX[(int) (bits >>> (60 - 4 * i)) & 0xf];
        }
        return new String(id);
    }
}
