package dev.turnout.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is the reference of {@link ConfigKeys}: the same keys, in the same words. */
class ConfigurationDocTest {

    private static final Path DOC = Path.of("docs/configuration.md");
    private static final String HEADER = "| Key | Default | Form | Why this default |";

    private static List<String> tableRows() throws Exception {
        List<String> lines = Files.readAllLines(DOC);
        int header = lines.indexOf(HEADER);
        assertThat(header).as("%s has the table headed %s", DOC, HEADER).isNotNegative();
        return lines.subList(header + 2, lines.size()).stream().takeWhile(line -> line.startsWith("|")).toList();
    }

    private static String keyOf(String row) {
        return row.substring(row.indexOf('`') + 1, row.indexOf('`', row.indexOf('`') + 1));
    }

    @Test
    void theDocumentListsEveryKeyAndNoOther() throws Exception {
        assertThat(tableRows().stream().map(ConfigurationDocTest::keyOf).toList()).as("keys in %s", DOC)
                .containsExactlyElementsOf(ConfigKeys.ALL.stream().map(ConfigKey::path).toList());
    }

    /** A failure shows the rows as they should read; ConfigKeys is where their words are changed. */
    @Test
    void eachRowSaysWhatTheTableSays() throws Exception {
        assertThat(tableRows()).as("rows of %s", DOC).containsExactlyElementsOf(ConfigKeys.ALL.stream()
                .map(k -> "| `" + k.path() + "` | " + k.defaultValue() + " | " + k.form() + " | " + k.why() + " |").toList());
    }

    @Test
    void theExampleIsTheCheckedInProxyYaml() throws Exception {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("```yaml\n") + "```yaml\n".length();
        assertThat(doc.substring(start, doc.indexOf("```", start))).isEqualTo(Files.readString(Path.of("proxy.yaml")));
    }
}
