package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.config.Durations;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code switch --watch}: follows the new pool on {@code GET /admin/events} for a while, printing
 * its req/s, error rate, p99 and the rollback watch every {@link #PRINT_EVERY}, and fails with
 * {@link Exit#ROLLED_BACK} the moment a flip moves traffic away from it (an automatic rollback or
 * anyone else's). A stream that ends or goes quiet (the server sends stats every second) is opened
 * again, until the watch is over; a flip missed meanwhile, even one undone since, is found in the
 * status and the history.
 */
final class ReleaseWatch {

    static final Duration PRINT_EVERY = Duration.ofSeconds(5);
    /** Ten missed stats events: the stream is not coming back by itself. */
    private static final Duration QUIET = Duration.ofSeconds(10);

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
        long nextPrint = start;
        long generation = -1;
        CliFailure lost = null;
        while (end - System.nanoTime() > 0) {
            EventFeed events;
            try {
                events = admin.events();
            } catch (CliFailure unreachable) {
                if (generation < 0) {
                    throw unreachable;
                }
                // Turnout restarting: try again until the watch is over.
                lost = unreachable;
                pause();
                continue;
            }
            lost = null;
            try (events) {
                // Subscribed first, then checked: a flip before now shows here, one after it on the stream.
                JsonNode status = Refusal.unlessOk(admin.get("admin/status"), admin).json();
                generation = checkStillActive(target, status, generation);
                Optional<JsonNode> watch = Optional.ofNullable(status.get("rollbackWatch")).filter(JsonNode::isObject)
                        .map(w -> ((ObjectNode) w.deepCopy()).put("state", "watching"));
                for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
                    Optional<EventFeed.Event> next = events.next(Duration.ofNanos(Math.min(left, QUIET.toNanos())));
                    if (next.isEmpty()) {
                        if (end - System.nanoTime() > 0) {
                            break;
                        }
                        continue;
                    }
                    JsonNode data = next.get().data();
                    switch (next.get().type()) {
                        case "flip" -> {
                            if (data.path("from").asText().equals(target)) {
                                throw new CliFailure(Exit.ROLLED_BACK, target + " is no longer active: " + flipLine(data));
                            }
                            generation = data.path("generation").asLong();
                        }
                        case "rollback-watch" -> {
                            if (data.path("pool").asText().equals(target)) {
                                watch = Optional.of(data);
                            }
                        }
                        case "stats" -> {
                            if (data.path("pool").asText().equals(target) && System.nanoTime() - nextPrint >= 0) {
                                out.printf("  +%ds  %s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), progress(data, watch));
                                out.flush();
                                nextPrint = System.nanoTime() + PRINT_EVERY.toNanos();
                            }
                        }
                        default -> { }
                    }
                }
            } catch (IOException ended) {
                // The server ended the stream (a restart, a stop): open it again and look at the status.
                pause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliFailure(Exit.UNAVAILABLE, "interrupted while watching");
            }
        }
        if (lost != null) {
            throw new CliFailure(Exit.UNAVAILABLE, "lost the admin API during the watch: " + lost.getMessage());
        }
        out.printf("%s stayed active for %s%n", target, Durations.format(length));
    }

    /**
     * The generation now, after checking in the status (and the history, when flips happened since
     * {@code known}) that no flip moved traffic away from {@code target}, even one undone again
     * while the stream was down.
     */
    private long checkStillActive(String target, JsonNode status, long known) throws CliFailure {
        long now = status.path("generation").asLong();
        if (!status.path("active").asText().equals(target)) {
            throw movedAway(target, status.path("active").asText(), known);
        }
        if (known >= 0 && now != known) {
            for (JsonNode flip : Refusal.unlessOk(admin.get("admin/history"), admin).json()) {
                if (flip.path("generation").asLong() > known && flip.path("from").asText().equals(target)) {
                    throw new CliFailure(Exit.ROLLED_BACK, target + " was not active all along: " + flipLine(flip));
                }
            }
        }
        return now;
    }

    /** One line of the pool's stats event, with the rollback watch's last report while it watches. */
    private static String progress(JsonNode stats, Optional<JsonNode> watch) {
        JsonNode p99 = stats.path("p99Ms");
        String line = String.format("%s: %.1f req/s, error rate %.2f, p99 %s, %d in flight", stats.path("pool").asText(),
                stats.path("rps").asDouble(), stats.path("errorRate").asDouble(),
                p99.isNumber() ? String.format("%.1f ms", p99.asDouble()) : "-", stats.path("inFlight").asInt());
        return line + watch.filter(w -> w.path("state").asText().equals("watching"))
                .map(w -> "; rollback watch " + WatchCounters.of(w)).orElse("; no rollback watch");
    }

    private static String flipLine(JsonNode flip) {
        String detail = flip.path("detail").isTextual() ? ": " + flip.get("detail").asText() : "";
        return flip.path("reason").asText() + " to " + flip.path("to").asText() + " by " + flip.path("by").asText() + detail;
    }

    /** Names the flip that moved traffic away from {@code target}, from the history. */
    private CliFailure movedAway(String target, String active, long known) throws CliFailure {
        for (JsonNode flip : Refusal.unlessOk(admin.get("admin/history"), admin).json()) {
            if (flip.path("from").asText().equals(target) && flip.path("generation").asLong() > known) {
                return new CliFailure(Exit.ROLLED_BACK, target + " is no longer active: " + flipLine(flip));
            }
        }
        return new CliFailure(Exit.ROLLED_BACK, target + " is no longer active: " + active + " is");
    }

    private static void pause() throws CliFailure {
        try {
            TimeUnit.SECONDS.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure(Exit.UNAVAILABLE, "interrupted while watching");
        }
    }
}
