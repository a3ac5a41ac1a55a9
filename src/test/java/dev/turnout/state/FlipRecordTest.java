package dev.turnout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlipRecordTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static FlipRecord.Builder manualFlip() {
        return FlipRecord.builder()
                .at(Instant.parse("2026-11-27T10:15:30.789Z"))
                .from("blue")
                .to("green")
                .generation(2)
                .reason(FlipReason.MANUAL)
                .by("127.0.0.1");
    }

    @Test
    void aBuiltRecordIsWrittenFieldByFieldAsBefore() throws Exception {
        assertThat(JSON.writeValueAsString(manualFlip().build())).isEqualTo("""
                {"at":"2026-11-27T10:15:30Z","from":"blue","to":"green","generation":2,"reason":"manual","forced":false,\
                "by":"127.0.0.1","detail":null,"drained":null,"drainMillis":null}""");
        assertThat(JSON.writeValueAsString(manualFlip().reason(FlipReason.AUTO_ROLLBACK).forced(true).detail("5 of 20 failed")
                .build().withDrain(false, 120_000))).isEqualTo("""
                {"at":"2026-11-27T10:15:30Z","from":"blue","to":"green","generation":2,"reason":"auto-rollback","forced":true,\
                "by":"127.0.0.1","detail":"5 of 20 failed","drained":false,"drainMillis":120000}""");
    }

    @Test
    void reasonsAreTheWordsStateFilesHaveAlwaysHeld() throws Exception {
        Path file = dir.resolve("state.json");
        Files.writeString(file, """
                {"active":"blue","generation":5,"history":[
                  {"from":"green","to":"blue","generation":5,"reason":"auto-rollback"},
                  {"from":"blue","to":"green","generation":4,"reason":"manual"},
                  {"from":"green","to":"blue","generation":3,"reason":"rollback"},
                  {"from":"blue","to":"green","generation":2,"reason":"a word from the future"},
                  {"from":"green","to":"blue","generation":1}]}
                """);
        assertThat(new StateFile(file).read().orElseThrow().history()).extracting(FlipRecord::reason)
                .containsExactly(FlipReason.AUTO_ROLLBACK, FlipReason.MANUAL, FlipReason.ROLLBACK, null, null);
    }

    @Test
    void aRecordWithoutItsFlipIsRefusedByName() {
        assertThatThrownBy(() -> manualFlip().generation(0).build()).hasMessage("generation: 0 (expected: >= 1)");
        assertThatThrownBy(() -> FlipRecord.builder().from("blue").build()).hasMessage("at");
    }
}
