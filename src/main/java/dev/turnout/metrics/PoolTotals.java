package dev.turnout.metrics;

import java.util.Arrays;

/**
 * A pool's counts since Turnout started, as {@link TurnoutMetrics#poolTotals} reads them from the
 * registry: requests, 5xx answers, and the request durations by histogram bucket. Two of them taken
 * a while apart describe that while ({@link #since}), which is how the live events get req/s and
 * percentiles without anything more being recorded per request.
 *
 * @param bucketMillis the buckets' upper bounds in milliseconds, ascending
 * @param cumulative   for each bucket, the durations recorded at or below its bound
 */
public record PoolTotals(long requests, long errors, double[] bucketMillis, long[] cumulative) {

    /** What happened between {@code earlier} and this. */
    public Interval since(PoolTotals earlier) {
        return new Interval(requests - earlier.requests, errors - earlier.errors, this, earlier);
    }

    /** The difference of two totals of one pool. */
    public static final class Interval {

        private final long requests;
        private final long errors;
        private final PoolTotals now;
        private final PoolTotals earlier;

        private Interval(long requests, long errors, PoolTotals now, PoolTotals earlier) {
            this.requests = requests;
            this.errors = errors;
            this.now = now;
            this.earlier = earlier;
        }

        public long requests() {
            return requests;
        }

        public double errorRate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }

        /**
         * The {@code q} quantile of the durations recorded in the interval, interpolated within its
         * bucket as Prometheus' {@code histogram_quantile} does; NaN when none were recorded. A value
         * beyond the last bucket is reported as that bucket's bound.
         */
        public double quantileMillis(double q) {
            // Counted from the buckets, not the timer's count: a duration being recorded while the
            // totals were read may be in the count and not yet in a bucket, and must not look like
            // one past the last bucket. (Durations past the last bucket, ten minutes, are left out.)
            int last = now.bucketMillis.length - 1;
            long count = last < 0 ? 0 : now.cumulative[last] - earlierAt(now.bucketMillis[last]);
            if (count <= 0) {
                return Double.NaN;
            }
            double rank = q * count;
            long below = 0;
            double lower = 0;
            for (int i = 0; i < now.bucketMillis.length; i++) {
                long atOrBelow = now.cumulative[i] - earlierAt(now.bucketMillis[i]);
                if (atOrBelow >= rank && atOrBelow > below) {
                    return lower + (now.bucketMillis[i] - lower) * (rank - below) / (atOrBelow - below);
                }
                below = atOrBelow;
                lower = now.bucketMillis[i];
            }
            return lower;
        }

        /** The earlier count at a bound: the same buckets, or none when the pool had served nothing yet. */
        private long earlierAt(double bound) {
            int i = Arrays.binarySearch(earlier.bucketMillis, bound);
            return i >= 0 ? earlier.cumulative[i] : 0;
        }
    }
}
