package dev.turnout.upstream;

import io.netty.handler.codec.http.HttpObject;

/** What an exchange hears from the upstream connection it holds. All calls arrive on that connection's event loop. */
public interface UpstreamListener {

    /** A decoded response part; the listener owns it and must forward or release it. */
    void onUpstreamMessage(HttpObject message);

    void onUpstreamReadComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** The connection closed or failed; {@code cause} is null for a plain close. */
    void onUpstreamClosed(Throwable cause);
}
