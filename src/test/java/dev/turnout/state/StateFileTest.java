package dev.turnout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StateFileTest {

    @TempDir
    Path dir;

    private StateFile written(String json) throws IOException {
        Path file = dir.resolve("state.json");
        Files.writeString(file, json);
        return new StateFile(file);
    }

    @Test
    void aWellFormedFileIsTakenOver() throws Exception {
        StateFile.Saved saved = written("""
                {"active":"green","previous":"blue","generation":7,"history":[{"from":"blue","to":"green","generation":7}]}
                """).read().orElseThrow();
        assertThat(saved.active()).isEqualTo("green");
        assertThat(saved.previous()).contains("blue");
        assertThat(saved.generation()).isEqualTo(7);
        assertThat(saved.history()).extracting(FlipRecord::to).containsExactly("green");
    }

    @Test
    void noFileIsNothingAndNoGenerationIsTheFirst() throws Exception {
        assertThat(new StateFile(dir.resolve("none.json")).read()).isEmpty();
        assertThat(written("{\"active\":\"blue\"}").read().map(StateFile.Saved::generation)).isEqualTo(Optional.of(1L));
    }

    @Test
    void aNullHistoryEntryIsAnError() throws Exception {
        StateFile file = written("{\"active\":\"blue\",\"generation\":3,\"history\":[null]}");
        assertThatThrownBy(file::read).isInstanceOf(IOException.class)
                .hasMessage("history[0] is null (expected: a flip, like {\"from\":\"blue\",\"to\":\"green\",...})");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"abc\"", "\"5\"", "1.5", "0", "-3", "9223372036854775807", "99999999999999999999", "null"})
    void aGenerationThatIsNotAWholeNumberOrWouldOverflowIsAnError(String generation) throws Exception {
        StateFile file = written("{\"active\":\"blue\",\"generation\":" + generation + "}");
        assertThatThrownBy(file::read).isInstanceOf(IOException.class)
                .hasMessage("\"generation\" is " + generation + " (expected: a whole number from 1 to 9223372036854775806)");
    }

    @Test
    void aDirectoryThatIsAFileIsFoundBeforeTheFirstWrite() throws Exception {
        Path occupied = Files.writeString(dir.resolve("occupied"), "");
        assertThatThrownBy(() -> new StateFile(occupied.resolve("state.json")).checkWritable())
                .isInstanceOf(IOException.class).hasMessage(occupied + ": not a directory");
        new StateFile(dir.resolve("new/state.json")).checkWritable();
        assertThat(dir.resolve("new")).isEmptyDirectory();
    }
}
