package dev.turnout.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The percentiles of the live events, from two readings of cumulative histogram buckets. */
class PoolTotalsTest {

    private static final double[] BOUNDS = {1, 2, 4, 8, 600_000};

    private static PoolTotals totals(long requests, long errors, long... cumulative) {
        return new PoolTotals(requests, errors, BOUNDS, cumulative);
    }

    @Test
    void quantilesAreInterpolatedWithinTheirBucketAsHistogramQuantileDoes() {
        PoolTotals before = totals(10, 1, 5, 10, 10, 10, 10);
        // Since then: 10 in (0,1], 60 in (1,2], 20 in (2,4], 10 in (4,8].
        PoolTotals now = totals(110, 3, 15, 80, 100, 110, 110);
        PoolTotals.Interval interval = now.since(before);
        assertThat(interval.requests()).isEqualTo(100);
        assertThat(interval.errorRate()).isEqualTo(0.02);
        // Rank 50 falls 40 into the 60 of (1,2]: 1 + 40/60.
        assertThat(interval.quantileMillis(0.5)).isCloseTo(1 + 40.0 / 60, within(1e-9));
        // Rank 99 falls 9 into the 10 of (4,8]: 4 + 4 * 9/10.
        assertThat(interval.quantileMillis(0.99)).isCloseTo(7.6, within(1e-9));
        assertThat(interval.quantileMillis(0.05)).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void nothingRecordedIsNoQuantileAndAPoolWithoutBucketsYetCountsAsZero() {
        PoolTotals idle = totals(5, 0, 1, 2, 3, 4, 5);
        assertThat(idle.since(idle).quantileMillis(0.99)).isNaN();
        PoolTotals none = new PoolTotals(0, 0, new double[0], new long[0]);
        assertThat(none.since(none).quantileMillis(0.5)).isNaN();
        assertThat(totals(2, 0, 0, 2, 2, 2, 2).since(none).quantileMillis(0.5)).isCloseTo(1.5, within(1e-9));
    }

    @Test
    void aRequestCountedButNotYetInABucketDoesNotReadAsTheLastBucket() {
        // One request, read while its duration was in the counter and not yet in the buckets: none counted.
        PoolTotals before = totals(0, 0, 0, 0, 0, 0, 0);
        PoolTotals now = totals(1, 0, 0, 0, 0, 0, 0);
        assertThat(now.since(before).requests()).isEqualTo(1);
        assertThat(now.since(before).quantileMillis(0.99)).isNaN();
    }
}
