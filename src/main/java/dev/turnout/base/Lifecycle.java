package dev.turnout.base;

/**
 * Where Turnout is in its stop. Stopping: its health (admin {@code /health}, {@code edgeHealth.path})
 * answers 503, while the listeners may still serve for {@code shutdown.delay}. Closing, after that:
 * connections close after their answer instead of waiting for another request.
 */
public final class Lifecycle {

    private volatile boolean stopping;
    private volatile boolean closing;

    public boolean stopping() {
        return stopping;
    }

    public boolean closing() {
        return closing;
    }

    public void beginStopping() {
        stopping = true;
    }

    public void beginClosing() {
        stopping = true;
        closing = true;
    }
}
