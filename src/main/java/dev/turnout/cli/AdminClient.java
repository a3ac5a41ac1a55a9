package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Calls the admin API at one base URL, with the bearer token when there is one. An answer comes
 * back whatever its status; only a call that got no answer is a {@link CliFailure} here.
 */
final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Reads answer at once; a switch or rollback waits for a drain, up to the server's drain.timeout, so it has no limit. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final Optional<String> token;
    private final HttpClient http;

    AdminClient(URI base, Optional<String> token) {
        this.base = base;
        this.token = token;
        // HTTP/1.1: the JDK would otherwise offer an h2c upgrade that the admin listener does not speak.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    }

    URI base() {
        return base;
    }

    boolean hasToken() {
        return token.isPresent();
    }

    AdminAnswer get(String path) throws CliFailure {
        return send(request(path).timeout(READ_TIMEOUT).GET().build());
    }

    AdminAnswer post(String path) throws CliFailure {
        return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /** Opens {@code GET /admin/events}; an answer other than 200 is the failure it stands for. */
    EventFeed events() throws CliFailure {
        HttpResponse<InputStream> response = call(request("admin/events", "text/event-stream").timeout(READ_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String text;
            try (InputStream body = response.body()) {
                text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "";
            }
            throw Refusal.of(new AdminAnswer(response.statusCode(), text, parse(text)), this);
        }
        return new EventFeed(response.body());
    }

    private HttpRequest.Builder request(String path) {
        return request(path, "application/json");
    }

    private HttpRequest.Builder request(String path, String accept) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).header("Accept", accept);
        token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
        return builder;
    }

    private AdminAnswer send(HttpRequest request) throws CliFailure {
        HttpResponse<String> response = call(request, HttpResponse.BodyHandlers.ofString());
        return new AdminAnswer(response.statusCode(), response.body(), parse(response.body()));
    }

    private <T> HttpResponse<T> call(HttpRequest request, HttpResponse.BodyHandler<T> body) throws CliFailure {
        try {
            return http.send(request, body);
        } catch (IOException e) {
            throw new CliFailure(Exit.UNAVAILABLE, "cannot reach the admin API at " + base + ": " + why(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure(Exit.UNAVAILABLE, "interrupted while waiting for the admin API at " + base);
        }
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node == null ? MissingNode.getInstance() : node;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    private static String why(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + CONNECT_TIMEOUT.toSeconds() + "s";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within " + READ_TIMEOUT.toSeconds() + "s";
        }
        if (e instanceof ConnectException) {
            return e.getCause() instanceof java.nio.channels.UnresolvedAddressException ? "unknown host" : "connection refused";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
