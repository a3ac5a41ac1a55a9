package dev.turnout.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackendHealthTest {

    private static final int RISE = 2;
    private static final int FALL = 3;

    private final FakeTime time = new FakeTime();
    private final BackendHealth health = new BackendHealth(time, "backend 127.0.0.1:8001 of pool blue");

    @Test
    void aBackendIsHealthyBeforeItsFirstCheck() {
        assertThat(health.healthy()).isTrue();
        assertThat(health.lastCheck()).isNull();
        assertThat(health.lastError()).isNull();
    }

    @Test
    void itGoesDownOnlyAfterFallFailuresInARow() {
        fail();
        fail();
        pass();
        fail();
        fail();
        assertThat(health.healthy()).isTrue();
        assertThat(health.consecutiveFailures()).isEqualTo(2);
        fail();
        assertThat(health.healthy()).isFalse();
        assertThat(health.consecutiveFailures()).isEqualTo(FALL);
        assertThat(health.consecutivePasses()).isZero();
    }

    @Test
    void itComesBackOnlyAfterRisePassesInARow() {
        for (int i = 0; i < FALL; i++) {
            fail();
        }
        pass();
        fail();
        pass();
        assertThat(health.healthy()).isFalse();
        pass();
        assertThat(health.healthy()).isTrue();
        assertThat(health.consecutivePasses()).isEqualTo(RISE);
        assertThat(health.consecutiveFailures()).isZero();
    }

    @Test
    void aPassiveMarkTakesItOutAtOnceAndRisePassesBringItBack() {
        for (int i = 0; i < 5; i++) {
            pass();
        }
        health.markDown("connection refused");
        assertThat(health.healthy()).isFalse();
        assertThat(health.lastError()).isEqualTo("connection refused");
        // The passes before the mark count for nothing.
        pass();
        assertThat(health.healthy()).isFalse();
        assertThat(health.consecutivePasses()).isEqualTo(1);
        pass();
        assertThat(health.healthy()).isTrue();
        assertThat(health.lastError()).isNull();
    }

    @Test
    void theLastCheckIsStampedWithItsTimeAndItsErrorOutranksAPassiveReason() {
        time.advance(Duration.ofSeconds(7));
        health.markDown("reset before answering");
        health.record(false, 12, "status 503", RISE, FALL);
        assertThat(health.lastCheck()).isEqualTo(new BackendHealth.LastCheck(FakeTime.START.plusSeconds(7), 12, "status 503"));
        assertThat(health.lastError()).isEqualTo("status 503");
    }

    private void pass() {
        health.record(true, 1, null, RISE, FALL);
    }

    private void fail() {
        health.record(false, 1, "status 500", RISE, FALL);
    }
}
