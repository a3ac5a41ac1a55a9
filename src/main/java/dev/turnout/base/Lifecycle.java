package dev.turnout.base;

/** Whether Turnout is stopping: connections then close after their answer instead of waiting for another request. */
public final class Lifecycle {

    private volatile boolean stopping;

    public boolean stopping() {
        return stopping;
    }

    public void beginStopping() {
        stopping = true;
    }
}
