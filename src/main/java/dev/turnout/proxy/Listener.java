package dev.turnout.proxy;

import io.netty.util.AsciiString;
import java.util.OptionalInt;

/**
 * What a client connection takes from the listener that accepted it.
 *
 * @param scheme       what backends are told in X-Forwarded-Proto
 * @param hstsLine     the Strict-Transport-Security header line every answer carries, empty for none
 * @param redirectPort present when every request but /health is redirected to HTTPS on this port
 */
record Listener(AsciiString scheme, byte[] hstsLine, OptionalInt redirectPort) {

    /** The header lines of a listener that adds none. */
    static final byte[] NO_HSTS = new byte[0];

    /** Connections begin with a TLS handshake. */
    boolean encrypted() {
        return HeaderRules.HTTPS.equals(scheme);
    }
}
