package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.config.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code switch --watch}: follows the new pool for a while by reading {@code GET /admin/status}
 * every {@link #INTERVAL}, printing its in-flight requests and the rollback watch's counters, and
 * fails with {@link Exit#ROLLED_BACK} as soon as another pool is active. (It polls until the
 * admin API has an events stream to follow.)
 */
final class ReleaseWatch {

    static final Duration INTERVAL = Duration.ofSeconds(2);

    private final AdminClient admin;
    private final PrintWriter out;

    ReleaseWatch(AdminClient admin, PrintWriter out) {
        this.admin = admin;
        this.out = out;
    }

    /** Returns once {@code target} has stayed active for {@code length}; throws when it stopped being active before. */
    void follow(String target, Duration length) throws CliFailure {
        out.printf("watching %s for %s%n", target, Durations.format(length));
        out.flush();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        while (true) {
            JsonNode status = Refusal.unlessOk(admin.get("admin/status"), admin).json();
            String active = status.path("active").asText();
            if (!active.equals(target)) {
                throw movedAway(target, active);
            }
            out.printf("  +%ds  %s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), progress(status, target));
            out.flush();
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            pause(Math.min(left, INTERVAL.toNanos()));
        }
        out.printf("%s stayed active for %s%n", target, Durations.format(length));
    }

    private static String progress(JsonNode status, String target) {
        String watch = status.path("rollbackWatch").path("pool").asText().equals(target)
                ? "rollback watch " + WatchCounters.of(status).orElseThrow()
                : "no rollback watch";
        return target + ": " + status.path("pools").path(target).path("inFlight").asInt() + " in flight; " + watch;
    }

    /** Names the flip that moved traffic away from {@code target}, from the history. */
    private CliFailure movedAway(String target, String active) throws CliFailure {
        for (JsonNode flip : Refusal.unlessOk(admin.get("admin/history"), admin).json()) {
            if (flip.path("from").asText().equals(target)) {
                String detail = flip.path("detail").isTextual() ? ": " + flip.get("detail").asText() : "";
                return new CliFailure(Exit.ROLLED_BACK, String.format("%s is no longer active: %s to %s by %s%s",
                        target, flip.path("reason").asText(), flip.path("to").asText(), flip.path("by").asText(), detail));
            }
        }
        return new CliFailure(Exit.ROLLED_BACK, target + " is no longer active: " + active + " is");
    }

    private static void pause(long nanos) throws CliFailure {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure(Exit.UNAVAILABLE, "interrupted while watching");
        }
    }
}
