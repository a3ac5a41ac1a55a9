package dev.turnout.state;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
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

    /** Lenient in what it reads: a history entry with a field or a reason it does not know still loads. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL);

    private final Path file;

    public StateFile(Path file) {
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /** Empty when there is no file yet; an unreadable or malformed file is an error the caller reports in one line. */
    public Optional<Saved> read() throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (root == null || !root.path("active").isTextual()) {
            throw new IOException("no \"active\" pool name in it");
        }
        JsonNode previous = root.path("previous");
        return Optional.of(new Saved(root.get("active").asText(),
                previous.isTextual() ? Optional.of(previous.asText()) : Optional.empty(),
                generation(root.path("generation")),
                history(root.path("history"))));
    }

    /** Missing is 1, as before any flip; the next flip adds one, so the largest long is refused too. */
    private static long generation(JsonNode node) throws IOException {
        if (node.isMissingNode()) {
            return 1;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 1 || node.asLong() == Long.MAX_VALUE) {
            throw new IOException("\"generation\" is " + node + " (expected: a whole number from 1 to " + (Long.MAX_VALUE - 1) + ")");
        }
        return node.asLong();
    }

    private static List<FlipRecord> history(JsonNode node) throws IOException {
        if (node.isMissingNode()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new IOException("\"history\" is " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " (expected: a list of flips)");
        }
        for (int i = 0; i < node.size(); i++) {
            if (!node.get(i).isObject()) {
                throw new IOException("history[" + i + "] is " + node.get(i) + " (expected: a flip, like {\"from\":\"blue\",\"to\":\"green\",...})");
            }
        }
        return JSON.convertValue(node, new TypeReference<List<FlipRecord>>() {});
    }

    /**
     * Fails, with the path and the reason in its message, when the file's directory cannot take a
     * new file: found at start-up rather than at the first flip, after traffic has moved.
     */
    public void checkWritable() throws IOException {
        Path dir = directory();
        try {
            Files.createDirectories(dir);
            Files.delete(newTemp(dir));
        } catch (FileAlreadyExistsException e) {
            throw new IOException(e.getFile() + ": not a directory");
        } catch (AccessDeniedException e) {
            throw new IOException(dir + ": permission denied");
        } catch (FileSystemException e) {
            throw new IOException(dir + ": " + e.getReason());
        }
    }

    public void write(RoutingSnapshot snapshot, List<FlipRecord> history) throws IOException {
        ObjectNode root = JSON.createObjectNode()
                .put("active", snapshot.active().name())
                .put("generation", snapshot.generation());
        snapshot.previous().map(Pool::name).ifPresent(p -> root.put("previous", p));
        root.set("history", JSON.valueToTree(history));
        Path dir = directory();
        Files.createDirectories(dir);
        Path temp = newTemp(dir);
        try {
            Files.writeString(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private Path directory() {
        return file.toAbsolutePath().getParent();
    }

    /** Next to the file, so that the rename is atomic. */
    private Path newTemp(Path dir) throws IOException {
        return Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    }
}
