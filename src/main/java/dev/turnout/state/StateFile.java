package dev.turnout.state;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * Remembers the active pool and the flip history across restarts. Written whole to a temp file
 * and renamed, so a crash never leaves half a file.
 */
public final class StateFile {

    /** What a restart takes over from the last run. */
    public record Saved(String active, Optional<String> previous, long generation, List<FlipRecord> history) {}

    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;

    public StateFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /** Empty when there is no file yet; an unreadable or malformed file is an error the caller reports. */
    public Optional<Saved> read() throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (root == null || !root.path("active").isTextual()) {
            throw new IOException(file + ": no \"active\" pool name in it");
        }
        JsonNode previous = root.path("previous");
        List<FlipRecord> history = root.has("history")
                ? JSON.convertValue(root.get("history"), new TypeReference<List<FlipRecord>>() {})
                : List.of();
        return Optional.of(new Saved(root.get("active").asText(),
                previous.isTextual() ? Optional.of(previous.asText()) : Optional.empty(),
                root.path("generation").asLong(1),
                history));
    }

    public void write(RoutingSnapshot snapshot, List<FlipRecord> history) throws IOException {
        ObjectNode root = JSON.createObjectNode()
                .put("active", snapshot.active().name())
                .put("generation", snapshot.generation());
        snapshot.previous().map(Pool::name).ifPresent(p -> root.put("previous", p));
        root.set("history", JSON.valueToTree(history));
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
