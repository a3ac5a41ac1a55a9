package dev.turnout.proxy;

import dev.turnout.config.Cidr;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.List;

/** Who a request behind trusted proxies came from, as the rollback watch counts clients. */
final class ClientAddress {

    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

    private ClientAddress() {}

    /**
     * The right-most X-Forwarded-For entry that is not a trusted proxy: each trusted proxy appended
     * the address it saw, so that entry is the first one no trusted party vouches for, and anything
     * to its left may be the client's invention. The left-most entry when all are trusted; the peer
     * when there is none. Addresses come in Java's spelling, the peer's, so one client has one key.
     *
     * @param peer the trusted peer's own address, as the connection knows it
     */
    static CharSequence behindTrustedPeer(HttpHeaders headers, CharSequence peer, List<Cidr> trusted) {
        List<String> values = headers.getAll(X_FORWARDED_FOR);
        String leftmost = null;
        for (int v = values.size() - 1; v >= 0; v--) {
            String value = values.get(v);
            int end = value.length();
            while (end >= 0) {
                int comma = value.lastIndexOf(',', end - 1);
                String entry = value.substring(comma + 1, end).trim();
                end = comma;
                if (entry.isEmpty()) {
                    continue;
                }
                InetAddress address = NetUtil.createInetAddressFromIpAddressString(entry);
                if (address == null) {
                    // Not an address, so no trusted proxy: what the nearest one wrote stands as it is.
                    return entry;
                }
                leftmost = address.getHostAddress();
                if (!isTrusted(address, trusted)) {
                    return leftmost;
                }
            }
        }
        return leftmost == null ? peer : leftmost;
    }

    /** Whether {@code address} is one of the {@code trustedProxies}. */
    static boolean isTrusted(InetAddress address, List<Cidr> trusted) {
        for (Cidr range : trusted) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
