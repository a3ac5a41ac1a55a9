package dev.turnout.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.testing.ConfigSamples;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The loader reads exactly the keys of {@link ConfigKeys}, with the defaults the table documents. */
class ConfigKeysTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNKNOWN = "notAKey";
    private static final Pattern UNKNOWN_KEY = Pattern.compile("(.*)\\Q" + UNKNOWN + "\\E: unknown key \\(expected one of: (.*)\\)");
    private static final Pattern LITERAL = Pattern.compile("`([^`]*)`");

    @Test
    void everyKeyHasASampleForTheTestsThatSetIt() {
        assertThat(ConfigSamples.SAMPLES.keySet())
                .containsExactlyInAnyOrderElementsOf(ConfigKeys.ALL.stream().map(ConfigKey::path).toList());
    }

    @Test
    void everyKeyIsReadAndChangesTheConfig() throws Exception {
        for (ConfigKey key : ConfigKeys.ALL) {
            ProxyConfig around = ConfigSamples.load(ConfigSamples.around(key));
            assertThat(ConfigSamples.load(ConfigSamples.withSample(key))).as(key.path()).isNotEqualTo(around);
        }
    }

    /** The names each mapping's unknown-key message offers are the table's keys under that mapping, no more, no less. */
    @Test
    void theLoaderKnowsTheKeysOfTheTableAndNoOthers() {
        Map<String, Set<String>> table = new TreeMap<>();  // mapping path -> the keys in it; "" is the top
        for (ConfigKey key : ConfigKeys.ALL) {
            String[] segments = key.path().split("\\.");
            for (int i = 0; i < segments.length; i++) {
                String parent = String.join(".", Arrays.copyOf(segments, i));
                table.computeIfAbsent(parent, p -> new LinkedHashSet<>()).add(segments[i].replace("[]", ""));
            }
        }
        table.remove("pools");
        ObjectNode root = JSON.createObjectNode().put(UNKNOWN, 1);
        root.putObject("pools").putObject("blue").putArray("backends").add("127.0.0.1:8001");
        root.withObject("/pools/green").putArray("backends").add("127.0.0.1:8002");
        for (String section : table.keySet()) {
            ObjectNode node = root;
            String[] segments = section.isEmpty() ? new String[0] : section.split("\\.");
            for (int i = 0; i < segments.length; i++) {
                node = ConfigSamples.enter(node, String.join(".", Arrays.copyOf(segments, i + 1)));
            }
            node.put(UNKNOWN, 1);
        }
        String yaml = root.toString();

        Map<String, Set<String>> loader = new TreeMap<>();
        for (String problem : catchThrowableOfType(ConfigException.class, () -> ConfigSamples.load(yaml)).problems()) {
            Matcher m = UNKNOWN_KEY.matcher(problem);
            assertThat(m.matches()).as("only unknown keys in %s, but: %s", yaml, problem).isTrue();
            String section = m.group(1).isEmpty() ? "" : m.group(1).substring(0, m.group(1).length() - 1).replace("[0]", "[]");
            loader.put(section, Set.of(m.group(2).split(", ")));
        }
        assertThat(loader).isEqualTo(table);
    }

    @Test
    void aDefaultTheTableSpellsOutIsTheLoadersDefault() throws Exception {
        for (ConfigKey key : ConfigKeys.ALL) {
            Matcher literal = LITERAL.matcher(key.defaultValue());
            if (literal.matches()) {
                assertThat(ConfigSamples.load(ConfigSamples.with(key, literal.group(1)))).as(key.path())
                        .isEqualTo(ConfigSamples.load(ConfigSamples.around(key)));
            }
        }
    }
}
