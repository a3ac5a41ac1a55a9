package dev.turnout.proxy;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a client connection takes from the listener that accepted it.
 *
 * @param scheme       what backends are told in X-Forwarded-Proto
 * @param hsts         the Strict-Transport-Security value every answer carries, or null
 * @param hstsLine     the same as an HTTP/1.1 header line, empty for none
 * @param redirectPort present when every request but /health is redirected to HTTPS on this port
 */
record Listener(AsciiString scheme, AsciiString hsts, byte[] hstsLine, OptionalInt redirectPort) {

    /** The header lines of a listener that adds none. */
    static final byte[] NO_HSTS = new byte[0];

    static Listener plain(OptionalInt redirectPort) {
        return new Listener(HeaderRules.HTTP, null, NO_HSTS, redirectPort);
    }

    static Listener https(Optional<String> hsts) {
        return new Listener(HeaderRules.HTTPS, hsts.map(AsciiString::of).orElse(null),
                hsts.map(v -> ("Strict-Transport-Security: " + v + "\r\n").getBytes(StandardCharsets.US_ASCII)).orElse(NO_HSTS),
                OptionalInt.empty());
    }
}
