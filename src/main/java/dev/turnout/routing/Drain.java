package dev.turnout.routing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The wait for backends that stopped serving (a pool flipped away from, the backends a reload
 * removed, every pool at a graceful stop) until the requests running on them have ended. It stays
 * on its backends after it ended, so that their connections keep closing as requests end, until the
 * pool is active again.
 *
 * <p>Nothing polls: the exchange whose end brings one of the backends to zero in flight calls
 * {@link #check()} on its event loop, and the drain ends once all of them are at zero. The drain
 * sets itself on its backends before it counts them, and an exchange decrements before it looks
 * for a drain, so the last decrement is never missed: either that exchange sees the drain, or the
 * drain's own count sees the decrement.
 *
 * <p>A timeout ends only a caller's wait ({@link #await}); stragglers keep running and the drain
 * with them, because the pool is draining for as long as requests run on it.
 */
public final class Drain {

    public enum State { DRAINING, DRAINED, CANCELLED }

    /**
     * @param inFlightAtStart the requests running on the backends when they stopped taking new ones
     * @param remaining       the requests still running; 0 once drained
     * @param millis          from the start to the end, or to the moment of a report while draining
     */
    public record Report(State state, int inFlightAtStart, int remaining, long millis) {
        public boolean drained() {
            return state == State.DRAINED;
        }
    }

    private final List<Backend> backends;
    private final TimeSource time;
    private final long startNanos;
    private final int inFlightAtStart;
    /** Of those, the tunnels (WebSockets), which end when a side closes them or drain.closeTunnels does. */
    private final int tunnelsAtStart;
    /** Completes once, with the report of how the drain ended: its state is the drain's state. */
    private final CompletableFuture<Report> ended = new CompletableFuture<>();
    /** Set once every request routed before the drain began is counted on its backend (see {@link Settle}). */
    private volatile boolean counting;

    private Drain(List<Backend> backends, TimeSource time) {
        this.backends = List.copyOf(backends);
        this.time = time;
        this.startNanos = time.nanoTime();
        this.inFlightAtStart = inFlight();
        this.tunnelsAtStart = this.backends.stream().mapToInt(Backend::tunnels).sum();
    }

    /**
     * Stops {@code backends} taking connections back and, once {@code settle} says the requests that
     * were being routed to them are counted, counts them down. Call on the admin side, never on an event loop.
     */
    static Drain start(List<Backend> backends, TimeSource time, Settle settle) {
        Drain drain = new Drain(backends, time);
        for (Backend b : drain.backends) {
            b.retire(drain);
        }
        settle.afterRequestsInProgress().whenComplete((done, failed) -> {
            drain.counting = true;
            drain.check();
        });
        return drain;
    }

    public boolean live() {
        return !ended.isDone();
    }

    public int inFlightAtStart() {
        return inFlightAtStart;
    }

    public int tunnelsAtStart() {
        return tunnelsAtStart;
    }

    /** How it went so far, or how it ended. */
    public Report report() {
        return ended.isDone() ? ended.join() : reportNow(State.DRAINING);
    }

    /**
     * From the event loop of an exchange that brought one of the backends to zero in flight, and once
     * at the start: ends the drain when every backend is at zero. Costs a sum over the backends.
     */
    void check() {
        if (counting && !ended.isDone() && inFlight() == 0) {
            end(State.DRAINED);
        }
    }

    /** The pool became active again: its requests are no longer leftovers to wait for. No-op once ended. */
    void cancel() {
        end(State.CANCELLED);
    }

    private void end(State state) {
        ended.complete(reportNow(state));
    }

    private Report reportNow(State state) {
        int remaining = state == State.DRAINED ? 0 : inFlight();
        return new Report(state, inFlightAtStart, remaining, TimeUnit.NANOSECONDS.toMillis(time.nanoTime() - startNanos));
    }

    private int inFlight() {
        int sum = 0;
        for (Backend b : backends) {
            sum += b.inFlight();
        }
        return sum;
    }

    /**
     * The report once the drain has ended or {@code timeout} has passed, whichever is first (then
     * {@link State#DRAINING} with the stragglers). Completed on {@code executor}: the end itself
     * happens on the event loop of the last exchange, which must not run a caller's work.
     */
    public CompletableFuture<Report> await(Duration timeout, ScheduledExecutorService executor) {
        CompletableFuture<Report> answer = new CompletableFuture<>();
        ScheduledFuture<?> timer = executor.schedule(() -> answer.complete(report()), timeout.toNanos(), TimeUnit.NANOSECONDS);
        ended.whenComplete((report, never) -> {
            timer.cancel(false);
            try {
                executor.execute(() -> answer.complete(report));
            } catch (RejectedExecutionException closing) {
                // Turnout is closing and took the executor with it: nobody waits for this answer any more.
            }
        });
        return answer;
    }
}
