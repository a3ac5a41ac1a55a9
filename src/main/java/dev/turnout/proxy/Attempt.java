package dev.turnout.proxy;

import dev.turnout.routing.Backend;

/** One try of an exchange on one backend: it is in flight there from its start until {@link #end}, once. */
final class Attempt {

    private final Backend backend;
    private final int index;
    private boolean ended;

    Attempt(Backend backend, int index) {
        this.backend = backend;
        this.index = index;
        backend.requestStarted();
    }

    Backend backend() {
        return backend;
    }

    int index() {
        return index;
    }

    void end() {
        if (!ended) {
            ended = true;
            backend.requestEnded();
        }
    }
}
