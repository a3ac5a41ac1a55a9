package dev.turnout.proxy;

import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import javax.net.ssl.SSLException;

/** Which failures on a client connection are the client's doing, so that closing is the whole answer. */
final class ClientFailures {

    private ClientFailures() {}

    /**
     * Resets and broken pipes are routine at the edge, and so are TLS clients that fail their
     * handshake (an old protocol, no common cipher, not TLS at all), which the TLS handler reports
     * wrapped. Anything else is a bug of ours, and must be seen.
     */
    static boolean routine(Throwable cause) {
        return cause instanceof IOException || cause instanceof SSLException
                || (cause instanceof DecoderException && cause.getCause() instanceof SSLException);
    }
}
