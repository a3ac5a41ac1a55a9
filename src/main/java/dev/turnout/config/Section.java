package dev.turnout.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * One mapping of proxy.yaml with its key path. Reads typed values, records a problem (path, value,
 * expected form) for each bad one, and afterwards reports every key nobody asked for.
 */
final class Section {

    private final JsonNode node;
    private final String path;
    private final List<String> problems;
    private final EnvSubstitution env;
    private final Set<String> known = new LinkedHashSet<>();

    Section(JsonNode node, String path, List<String> problems, EnvSubstitution env) {
        this.node = node;
        this.path = path;
        this.problems = problems;
        this.env = env;
    }

    String path() {
        return path;
    }

    String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    void problem(String keyPath, String message) {
        problems.add(keyPath + ": " + message);
    }

    boolean has(String key) {
        JsonNode value = node.get(key);
        return value != null && !value.isNull();
    }

    boolean isList(String key) {
        return node.path(key).isArray();
    }

    /** A scalar as text with ${ENV} references replaced; empty when absent. */
    Optional<String> text(String key) {
        known.add(key);
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isValueNode()) {
            problem(pathOf(key), "is a " + kind(value) + " (expected: a single value)");
            return Optional.empty();
        }
        return Optional.of(env.apply(value.asText()));
    }

    String text(String key, String fallback) {
        return text(key).filter(s -> !s.isEmpty()).orElse(fallback);
    }

    Duration duration(String key, Duration fallback) {
        return parsed(key, fallback, Durations::parse, "is not a duration (expected: 500ms, 10s, 2m)");
    }

    /** A positive duration, which every timeout in the schema is. */
    Duration positiveDuration(String key, Duration fallback) {
        Duration d = duration(key, fallback);
        if (d.isZero()) {
            problem(pathOf(key), "is zero (expected: a duration above 0, such as 500ms, 10s, 2m)");
            return fallback;
        }
        return d;
    }

    /** A positive duration, or {@code off} (and absent) for none. */
    Optional<Duration> positiveDurationOrOff(String key) {
        if (node.path(key).isBoolean() && !node.path(key).booleanValue()) {
            // YAML 1.1 reads a bare off as false.
            known.add(key);
            return Optional.empty();
        }
        Optional<String> raw = text(key);
        if (raw.isEmpty() || raw.get().isEmpty() || raw.get().trim().equals("off")) {
            return Optional.empty();
        }
        Optional<Duration> d = Durations.parse(raw.get());
        if (d.isEmpty() || d.get().isZero()) {
            problem(pathOf(key), quote(raw.get()) + " is not a duration above 0 or off (expected: 2s, 10m, or off)");
            return Optional.empty();
        }
        return d;
    }

    int integer(String key, int fallback, int min) {
        int value = parsed(key, fallback, Section::parseInt, "is not a whole number");
        if (value < min) {
            problem(pathOf(key), value + " is too small (expected: >= " + min + ")");
            return fallback;
        }
        return value;
    }

    boolean bool(String key, boolean fallback) {
        return parsed(key, fallback, raw -> switch (raw.trim()) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> Optional.empty();
        }, "is not a boolean (expected: true or false)");
    }

    double fraction(String key, double fallback) {
        double value = parsed(key, fallback, Section::parseDouble, "is not a number (expected: a fraction such as 0.05)");
        if (value < 0 || value > 1) {
            problem(pathOf(key), value + " is out of range (expected: from 0 to 1, such as 0.05)");
            return fallback;
        }
        return value;
    }

    /** A size in bytes: {@code 512}, {@code 8KiB}, {@code 1MiB}, {@code 2GiB} (KB, MB, GB are read as the same powers of 1024). */
    long size(String key, long fallback, long min, long max) {
        long value = parsed(key, fallback, Section::parseSize, "is not a size (expected: bytes, or 8KiB, 1MiB, 2GiB)");
        if (value < min) {
            problem(pathOf(key), raw(key) + " is too small (expected: at least " + min + " bytes)");
            return fallback;
        }
        if (value > max) {
            problem(pathOf(key), raw(key) + " is too large (expected: at most " + max + " bytes)");
            return fallback;
        }
        return value;
    }

    private String raw(String key) {
        return Section.quote(env.apply(node.path(key).asText()));
    }

    HostPort hostPort(String key, HostPort fallback) {
        return parsed(key, fallback, HostPort::parse, "is not host:port");
    }

    private <T> T parsed(String key, T fallback, Function<String, Optional<T>> parser, String complaint) {
        Optional<String> raw = text(key);
        if (raw.isEmpty() || raw.get().isEmpty()) {
            return fallback;
        }
        Optional<T> value = parser.apply(raw.get());
        if (value.isEmpty()) {
            problem(pathOf(key), quote(raw.get()) + " " + complaint);
            return fallback;
        }
        return value.get();
    }

    Section section(String key) {
        known.add(key);
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return new Section(MissingNode.getInstance(), pathOf(key), problems, env);
        }
        if (!value.isObject()) {
            problem(pathOf(key), "is a " + kind(value) + " (expected: a mapping of keys)");
            return new Section(MissingNode.getInstance(), pathOf(key), problems, env);
        }
        return new Section(value, pathOf(key), problems, env);
    }

    /** A list of mappings, each a section with its index in the path; absent means empty. */
    List<Section> sectionList(String key) {
        known.add(key);
        JsonNode value = node.get(key);
        List<Section> items = new ArrayList<>();
        if (value == null || value.isNull()) {
            return items;
        }
        if (!value.isArray()) {
            problem(pathOf(key), "is a " + kind(value) + " (expected: a list of mappings)");
            return items;
        }
        for (int i = 0; i < value.size(); i++) {
            String itemPath = pathOf(key) + "[" + i + "]";
            if (value.get(i).isObject()) {
                items.add(new Section(value.get(i), itemPath, problems, env));
            } else {
                problem(itemPath, "is a " + kind(value.get(i)) + " (expected: a mapping of keys)");
            }
        }
        return items;
    }

    /** The child mappings of this section by name, for open-ended maps such as pools. */
    List<String> keys() {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** A list of scalars, each with ${ENV} replaced; absent means empty. */
    List<String> textList(String key) {
        known.add(key);
        JsonNode value = node.get(key);
        List<String> items = new ArrayList<>();
        if (value == null || value.isNull()) {
            return items;
        }
        if (!value.isArray()) {
            problem(pathOf(key), "is a " + kind(value) + " (expected: a list such as [\"127.0.0.1:8001\"])");
            return items;
        }
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (!item.isValueNode() || item.isNull()) {
                problem(pathOf(key) + "[" + i + "]", "is a " + kind(item) + " (expected: a single value)");
                items.add(null);
            } else {
                items.add(env.apply(item.asText()));
            }
        }
        return items;
    }

    void rejectUnknownKeys() {
        node.fieldNames().forEachRemaining(key -> {
            if (!known.contains(key)) {
                problem(pathOf(key), "unknown key (expected one of: " + String.join(", ", known) + ")");
            }
        });
    }

    static String quote(String raw) {
        return "\"" + raw + "\"";
    }

    private static String kind(JsonNode value) {
        if (value.isObject()) {
            return "mapping";
        }
        if (value.isArray()) {
            return "list";
        }
        return value.isNull() ? "null" : "value";
    }

    private static Optional<Long> parseSize(String raw) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,15})\\s*(B|KiB|MiB|GiB|KB|MB|GB|K|M|G)?").matcher(raw.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        return Optional.of(switch (unit.charAt(0)) {
            case 'K' -> n << 10;
            case 'M' -> n << 20;
            case 'G' -> n << 30;
            default -> n;
        });
    }

    private static Optional<Double> parseDouble(String raw) {
        try {
            double d = Double.parseDouble(raw.trim());
            return Double.isFinite(d) ? Optional.of(d) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Integer> parseInt(String raw) {
        try {
            return Optional.of(Integer.parseInt(raw.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
