package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.ConfigKey;
import dev.turnout.config.ConfigKeys;
import dev.turnout.config.ProxyConfig;
import dev.turnout.testing.ConfigSamples;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A reload reports a change of any key of the table, each on the line of the key it changed. */
class ConfigDiffTest {

    @Test
    void everyKeyTheReportShowsIsReportedByItsPath() throws Exception {
        for (ConfigKey key : ConfigKeys.ALL) {
            ProxyConfig before = ConfigSamples.load(ConfigSamples.around(key));
            ProxyConfig after = ConfigSamples.load(ConfigSamples.withSample(key));
            List<String> lines = lines(ConfigDiff.between(before, after));
            if (key.shown().isPresent()) {
                List<String> expected = new ArrayList<>();
                expected.add(key.path() + ": " + key.shownIn(before).orElseThrow() + " -> " + key.shownIn(after).orElseThrow());
                // A key valid only with others (a password and its user) is set with them.
                ConfigSamples.companionsOf(key.path()).stream().map(ConfigDiffTest::key).forEach(other -> expected.add(
                        other.path() + ": " + other.shownIn(before).orElseThrow() + " -> " + other.shownIn(after).orElseThrow()));
                assertThat(lines).as(key.path()).containsExactlyInAnyOrderElementsOf(expected);
            } else if (!key.path().equals("active")) {  // only a start without a state file reads it: a reload has nothing to report
                assertThat(lines).as("%s, through its pools or its parent", key.path()).isNotEmpty();
            }
        }
    }

    @Test
    void linesSayKeyOldAndNew() throws Exception {
        ConfigKey readTimeout = ConfigKeys.ALL.stream().filter(k -> k.path().equals("upstream.readTimeout")).findFirst().orElseThrow();
        assertThat(ConfigDiff.between(ConfigSamples.load(ConfigSamples.around(readTimeout)),
                ConfigSamples.load(ConfigSamples.withSample(readTimeout))).changes())
                .containsExactly("upstream.readTimeout: 30s -> 1m");
    }

    @Test
    void whatTheListenersTookAtStartIsReportedAsNeedingARestart() throws Exception {
        for (String path : List.of("listen", "admin.listen", "state.file", "tls.listen", "tls.hsts", "tls.redirectHttp", "tls.redirectPort")) {
            ConfigKey key = ConfigKeys.ALL.stream().filter(k -> k.path().equals(path)).findFirst().orElseThrow();
            ConfigDiff.Result result = ConfigDiff.between(ConfigSamples.load(ConfigSamples.around(key)),
                    ConfigSamples.load(ConfigSamples.withSample(key)));
            assertThat(result.restartRequired()).as(path).hasSize(1).allMatch(line -> line.startsWith(path + ": "));
            assertThat(result.changes()).as(path).isEmpty();
        }
    }

    private static ConfigKey key(String path) {
        return ConfigKeys.ALL.stream().filter(k -> k.path().equals(path)).findFirst().orElseThrow();
    }

    private static List<String> lines(ConfigDiff.Result result) {
        List<String> lines = new ArrayList<>(result.changes());
        lines.addAll(result.restartRequired());
        return lines;
    }
}
