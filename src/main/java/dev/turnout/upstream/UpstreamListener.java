package dev.turnout.upstream;

/** What an exchange hears from the upstream connection it holds. All calls arrive on that connection's event loop. */
public interface UpstreamListener extends ResponseParser.Listener {

    void onUpstreamReadComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** The connection closed or failed before the response ended; {@code cause} is null for a plain close. */
    void onUpstreamClosed(Throwable cause);

    /** The backend of a tunnel sent its FIN but may still read (see {@link UpstreamConnection#tunnel}). */
    void onUpstreamInputShutdown();
}
