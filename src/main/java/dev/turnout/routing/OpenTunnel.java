package dev.turnout.routing;

/**
 * A tunnel (a WebSocket) open on a backend: an exchange in flight there for as long as the tunnel
 * lasts, which its backend also tells when it stops serving and when it serves again, so that
 * {@code drain.closeTunnels} can end it. Calls come from the admin side, under the lock of
 * {@link TrafficSwitch}: an implementation hands them to its own event loop, and must take a call
 * twice (a tunnel that opens while its backend retires may hear of it twice).
 */
public interface OpenTunnel {

    /** The backend stopped serving: its pool is no longer active, a reload removed it, or Turnout is stopping. */
    void retired();

    /** The backend's pool is active again: the tunnel is current traffic once more. */
    void reactivated();
}
