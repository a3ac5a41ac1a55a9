package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.ConfigKey;
import dev.turnout.config.ConfigKeys;
import dev.turnout.testing.ConfigSamples;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code turnout check} shows every key of the table: a key it left out would change nothing in its summary. */
class CheckSummaryTest {

    @Test
    void everyKeyShowsInTheSummary() throws Exception {
        Path file = Path.of("proxy.yaml");
        for (ConfigKey key : ConfigKeys.ALL) {
            String around = Turnout.Check.summary(file, ConfigSamples.load(ConfigSamples.around(key)));
            assertThat(Turnout.Check.summary(file, ConfigSamples.load(ConfigSamples.withSample(key)))).as(key.path())
                    .isNotEqualTo(around);
        }
    }
}
