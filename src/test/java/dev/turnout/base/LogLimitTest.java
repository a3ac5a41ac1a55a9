package dev.turnout.base;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.LogCapture;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A flood of one kind of line writes a few of them, then one line that says how many were left out. */
class LogLimitTest {

    @Test
    void pastItsLinesPerWindowAKindIsCountedAndTheNextLineSaysHowManyWereSuppressed() {
        AtomicLong now = new AtomicLong(1_000);
        LogLimit limit = new LogLimit(LoggerFactory.getLogger("dev.turnout.test.Flood"), 3, Duration.ofSeconds(10), now::get);
        LogCapture.clear();
        for (int i = 1; i <= 1000; i++) {
            limit.warn("backend {} answered 502", i);
        }
        assertThat(LogCapture.lines()).filteredOn(l -> l.contains("Flood")).containsExactly(
                "WARN Flood: backend 1 answered 502", "WARN Flood: backend 2 answered 502", "WARN Flood: backend 3 answered 502");

        now.addAndGet(Duration.ofSeconds(10).toNanos());
        limit.warn("backend {} answered 502", 1001);
        limit.warn("backend {} answered 502", 1002);
        assertThat(LogCapture.lines()).filteredOn(l -> l.contains("Flood")).endsWith(
                "WARN Flood: backend 1001 answered 502 (997 similar lines suppressed)", "WARN Flood: backend 1002 answered 502");
    }
}
