package dev.turnout.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.ProxyConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RollbackWatchTest {

    private static final Duration WINDOW = Duration.ofMinutes(5);
    private static final OutcomeHistory.Tally NOTHING_BEFORE = new OutcomeHistory.Tally(0, 0);

    private final FakeTime time = new FakeTime();
    private final Pool green = TestPools.pool("green", 2, time);
    private final List<String> rollbacks = new ArrayList<>();

    private RollbackWatch watch(OutcomeHistory.Tally before, boolean forced, double maxErrorRate, int minRequests, int minClients) {
        ProxyConfig.Rollback policy = new ProxyConfig.Rollback(true, WINDOW, maxErrorRate, minRequests, minClients);
        return new RollbackWatch(green, before, forced, policy, 3, (w, why) -> rollbacks.add(why), time);
    }

    @Test
    void errorsCountOnlyOnceThereAreMinRequests() {
        RollbackWatch w = watch(NOTHING_BEFORE, false, 0.2, 10, 1);
        for (int i = 0; i < 9; i++) {
            w.record(true, "10.0.0.1");
        }
        assertThat(rollbacks).isEmpty();
        w.record(true, "10.0.0.1");
        assertThat(rollbacks).containsExactly("error rate 1.00 over 10 requests");
        assertThat(w.watching()).isFalse();
    }

    @Test
    void errorsFromFewerThanMinClientsAddressesNeverTrip() {
        RollbackWatch w = watch(NOTHING_BEFORE, false, 0.2, 5, 2);
        for (int i = 0; i < 20; i++) {
            w.record(true, "10.0.0.1");
        }
        assertThat(rollbacks).isEmpty();
        assertThat(w.erroringClients()).isEqualTo(1);
        w.record(true, new StringBuilder("10.0.0.2"));
        assertThat(w.erroringClients()).isEqualTo(2);
        assertThat(rollbacks).containsExactly("error rate 1.00 over 21 requests");
    }

    @Test
    void theThresholdIsTheOldPoolsErrorRatePlusMaxErrorRate() {
        RollbackWatch w = watch(new OutcomeHistory.Tally(100, 10), false, 0.2, 10, 1);
        assertThat(w.baseline()).isEqualTo(0.1);
        for (int i = 0; i < 7; i++) {
            w.record(false, "10.0.0.1");
        }
        for (int i = 0; i < 3; i++) {
            w.record(true, "10.0.0.1");
        }
        // 3 errors in 10 requests is at the threshold of 0.3, not above it.
        assertThat(rollbacks).isEmpty();
        w.record(true, "10.0.0.1");
        assertThat(rollbacks).containsExactly("error rate 0.36 over 11 requests, above 0.10 before the flip");
    }

    @Test
    void anOldPoolWithFewerThanMinRequestsGivesNoBaseline() {
        RollbackWatch w = watch(new OutcomeHistory.Tally(9, 9), false, 0.2, 10, 1);
        assertThat(w.baseline()).isZero();
    }

    @Test
    void noHealthyBackendForFallChecksTripsUnlessTheFlipWasForced() {
        RollbackWatch forced = watch(NOTHING_BEFORE, true, 0.2, 10, 1);
        RollbackWatch unforced = watch(NOTHING_BEFORE, false, 0.2, 10, 1);
        green.backends().forEach(b -> b.health().markDown("connection refused"));
        for (int i = 0; i < 3; i++) {
            forced.onHealthCheck(green.backendAt(i % 2));
            assertThat(rollbacks).isEmpty();
            unforced.onHealthCheck(green.backendAt(i % 2));
        }
        assertThat(rollbacks).containsExactly("no healthy backend for 3 checks");
        assertThat(forced.watching()).isTrue();
    }

    @Test
    void aHealthyBackendStartsTheCountOfChecksAgain() {
        RollbackWatch w = watch(NOTHING_BEFORE, false, 0.2, 10, 1);
        green.backendAt(0).health().markDown("reset");
        green.backendAt(1).health().markDown("reset");
        w.onHealthCheck(green.backendAt(0));
        w.onHealthCheck(green.backendAt(1));
        green.backendAt(0).health().record(true, 1, null, 1, 3);
        w.onHealthCheck(green.backendAt(0));
        green.backendAt(0).health().markDown("reset");
        w.onHealthCheck(green.backendAt(0));
        w.onHealthCheck(green.backendAt(1));
        assertThat(rollbacks).isEmpty();
        w.onHealthCheck(green.backendAt(0));
        assertThat(rollbacks).hasSize(1);
    }

    @Test
    void checksOfAnotherPoolsBackendsCountForNothing() {
        RollbackWatch w = watch(NOTHING_BEFORE, false, 0.2, 10, 1);
        green.backends().forEach(b -> b.health().markDown("reset"));
        Pool blue = TestPools.pool("blue", 1, time);
        for (int i = 0; i < 5; i++) {
            w.onHealthCheck(blue.backendAt(0));
        }
        assertThat(rollbacks).isEmpty();
    }

    @Test
    void nothingCountsOnceTheWindowHasEnded() {
        RollbackWatch w = watch(NOTHING_BEFORE, false, 0.2, 1, 1);
        time.advance(Duration.ofMinutes(2));
        assertThat(w.remainingMillis()).isEqualTo(Duration.ofMinutes(3).toMillis());
        w.record(false, "10.0.0.1");
        time.advance(Duration.ofMinutes(3).minusMillis(1));
        assertThat(w.watching()).isTrue();
        time.advance(Duration.ofMillis(1).plusNanos(1));
        assertThat(w.watching()).isFalse();
        assertThat(w.remainingMillis()).isZero();
        w.record(true, "10.0.0.1");
        green.backends().forEach(b -> b.health().markDown("reset"));
        for (int i = 0; i < 5; i++) {
            w.onHealthCheck(green.backendAt(0));
        }
        assertThat(w.requests()).isEqualTo(1);
        assertThat(w.errors()).isZero();
        assertThat(rollbacks).isEmpty();
    }
}
