package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An open {@code GET /admin/events} stream. A daemon thread parses the server-sent events as they
 * come; the caller takes them with a timeout, so that its own deadline, not the stream, decides
 * when it stops waiting.
 */
final class EventFeed implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One event: its name and its data parsed as JSON. */
    record Event(String type, JsonNode data) {}

    /** Put last: the stream ended or broke. */
    private static final Event END = new Event("", null);

    private final InputStream body;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    EventFeed(InputStream body) {
        this.body = body;
        Thread reader = new Thread(this::read, "turnout-events");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The next event, or empty when none came within {@code timeout}.
     *
     * @throws IOException when the stream has ended
     */
    Optional<Event> next(Duration timeout) throws IOException, InterruptedException {
        Event e = events.poll(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        if (e == END) {
            events.add(END);
            throw new IOException("the event stream ended");
        }
        return Optional.ofNullable(e);
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String type = "message";
            StringBuilder data = new StringBuilder();
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        events.add(new Event(type, JSON.readTree(data.toString())));
                    }
                    type = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).strip());
                }
            }
        } catch (IOException e) {
            // Broken or closed: the same as ended, for whoever waits.
        } finally {
            events.add(END);
        }
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // Closing is all that is left to do with it.
        }
    }
}
