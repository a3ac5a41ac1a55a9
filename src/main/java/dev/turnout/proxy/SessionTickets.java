package dev.turnout.proxy;

import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * The session ticket keys of the HTTPS listener, made at random once per process and set on every
 * OpenSSL context it builds: each certificate's and each reload's, so neither a second certificate
 * nor a reload makes the clients' tickets useless (BoringSSL would otherwise make keys per context).
 * New keys every {@link #ROTATE_EVERY}, the ones before still decrypting for one more period: a
 * ticket stays usable for its whole {@link #ROTATE_EVERY} of session timeout, and a key that leaked
 * opens no TLS 1.2 session older than two periods. The JDK provider keeps its own keys.
 */
final class SessionTickets {

    /** Also the session timeout: no ticket outlives the keys that decrypt it. */
    static final Duration ROTATE_EVERY = Duration.ofHours(1);

    private final SecureRandom random = new SecureRandom();
    /** The first encrypts new tickets, both decrypt; replaced whole by {@link #rotate}. */
    private volatile OpenSslSessionTicketKey[] keys;

    SessionTickets() {
        OpenSslSessionTicketKey first = newKey();
        keys = new OpenSslSessionTicketKey[] {first};
    }

    /** New keys for new tickets; the ones before still decrypt until the next rotation. */
    void rotate() {
        keys = new OpenSslSessionTicketKey[] {newKey(), keys[0]};
    }

    /** Issues tickets with the current keys on {@code context}, when it is an OpenSSL one. */
    void applyTo(SslContext context) {
        if (context.sessionContext() instanceof OpenSslServerSessionContext sessions) {
            // Also clears the SSL_OP_NO_TICKET Netty sets, so TLS 1.2 clients get tickets too.
            sessions.setTicketKeys(keys);
        }
    }

    private OpenSslSessionTicketKey newKey() {
        return new OpenSslSessionTicketKey(bytes(OpenSslSessionTicketKey.NAME_SIZE), bytes(OpenSslSessionTicketKey.HMAC_KEY_SIZE),
                bytes(OpenSslSessionTicketKey.AES_KEY_SIZE));
    }

    private byte[] bytes(int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }
}
