package dev.turnout.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A client of {@code GET /admin/events} over a real connection, with the JDK's HTTP client: it
 * parses the server-sent events as they come and keeps every one, for a test to wait for.
 */
public final class EventStream implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One event: its name and its data parsed as JSON. */
    public record Event(String type, JsonNode data) {}

    private final HttpResponse<Stream<String>> response;
    /** Taken before the reader starts, so that a close racing the reader's start cannot leave it a closed stream. */
    private final Iterator<String> lines;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile boolean ended;
    private volatile boolean endedCleanly;

    private EventStream(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.lines = response.body().iterator();
        this.reader = new Thread(this::read, "event-stream-reader");
        reader.setDaemon(true);
        reader.start();
    }

    public static EventStream open(InetSocketAddress admin, Optional<String> token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + "/admin/events"));
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
        HttpResponse<Stream<String>> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(request.build(), HttpResponse.BodyHandlers.ofLines());
        return new EventStream(response);
    }

    public int status() {
        return response.statusCode();
    }

    public Optional<String> header(String name) {
        return response.headers().firstValue(name);
    }

    private void read() {
        String type = "message";
        StringBuilder data = new StringBuilder();
        try {
            while (lines.hasNext()) {
                String line = lines.next();
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        events.add(new Event(type, JSON.readTree(data.toString())));
                    }
                    type = "message";
                    data.setLength(0);
                } else if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
            endedCleanly = true;
        } catch (IOException | UncheckedIOException e) {
            // The stream was cut: the test sees it as ended.
        } finally {
            ended = true;
        }
    }

    /** Every event so far, in order. */
    public List<Event> events() {
        return List.copyOf(events);
    }

    /** Waits for the first event of {@code type}, counted from the beginning, that {@code test} accepts. */
    public JsonNode await(String type, Predicate<JsonNode> test) {
        return Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> find(type, test), Optional::isPresent).orElseThrow();
    }

    public Optional<JsonNode> find(String type, Predicate<JsonNode> test) {
        return events.stream().filter(e -> e.type().equals(type) && test.test(e.data())).map(Event::data).findFirst();
    }

    /** True once the server ended the stream or the connection broke. */
    public boolean ended() {
        return ended;
    }

    /** True once the server ended the stream properly (its last chunk), not by breaking the connection. */
    public boolean endedCleanly() {
        return endedCleanly;
    }

    @Override
    public void close() {
        response.body().close();
        reader.interrupt();
    }
}
