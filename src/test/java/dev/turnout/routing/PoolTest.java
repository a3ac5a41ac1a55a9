package dev.turnout.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PoolTest {

    private final Pool pool = TestPools.pool("blue", 3, new FakeTime());

    @Test
    void requestsStartTheirWalkAtEachBackendInTurn() {
        assertThat(IntStream.range(0, 7).map(i -> pool.nextStart())).containsExactly(0, 1, 2, 0, 1, 2, 0);
        assertThat(pool.pick(1, null)).isEqualTo(1);
    }

    @Test
    void anUnhealthyBackendIsWalkedPast() {
        pool.backendAt(1).health().markDown("connection refused");
        assertThat(pool.pick(1, null)).isEqualTo(2);
        assertThat(pool.pick(0, null)).isZero();
        assertThat(pool.healthyCount()).isEqualTo(2);
    }

    @Test
    void aTriedBackendIsWalkedPastAndNoneIsLeftOnceAllWereTried() {
        BitSet tried = new BitSet();
        tried.set(2);
        assertThat(pool.pick(2, tried)).isZero();
        tried.set(0);
        tried.set(1);
        assertThat(pool.pick(2, tried)).isEqualTo(-1);
    }

    @Test
    void withNoHealthyBackendTheFirstUntriedOneIsTakenAnyway() {
        for (Backend b : pool.backends()) {
            b.health().markDown("reset");
        }
        assertThat(pool.healthyCount()).isZero();
        assertThat(pool.pick(1, null)).isEqualTo(1);
        BitSet tried = new BitSet();
        tried.set(1);
        assertThat(pool.pick(1, tried)).isEqualTo(2);
    }

    @Test
    void anUnhealthyBackendIsTakenOnlyWhenNoHealthyOneIsLeftToTry() {
        pool.backendAt(0).health().markDown("reset");
        pool.backendAt(1).health().markDown("reset");
        BitSet tried = new BitSet();
        tried.set(2);
        assertThat(pool.pick(2, null)).isEqualTo(2);
        assertThat(pool.pick(2, tried)).isZero();
    }
}
