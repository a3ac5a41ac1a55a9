package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.state.FlipReason;
import dev.turnout.state.FlipRecord;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The answers of POST /admin/switch and /admin/rollback, field for field, as clients and deploy scripts read them. */
class SwitchResultTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static FlipRecord flip(boolean forced) {
        return FlipRecord.builder().at(Instant.EPOCH).from("blue").to("green").generation(4)
                .reason(FlipReason.MANUAL).forced(forced).by("127.0.0.1").build();
    }

    @Test
    void nothingChangedHasNoDrainAndNoSave() throws Exception {
        assertThat(JSON.writeValueAsString(SwitchResult.unchanged("blue", 3)))
                .isEqualTo("{\"from\":\"blue\",\"to\":\"blue\",\"generation\":3,\"changed\":false,\"inFlightAtSwitch\":0,\"tunnelsAtSwitch\":0}");
    }

    @Test
    void aFlipSaysWhetherItWasSavedAndForced() throws Exception {
        assertThat(JSON.writeValueAsString(SwitchResult.flipped(flip(false), 2, 1, true)))
                .isEqualTo("{\"from\":\"blue\",\"to\":\"green\",\"generation\":4,\"changed\":true,\"inFlightAtSwitch\":2,\"tunnelsAtSwitch\":1,\"saved\":true}");
        assertThat(JSON.writeValueAsString(SwitchResult.flipped(flip(true), 2, 0, false)))
                .isEqualTo("{\"from\":\"blue\",\"to\":\"green\",\"generation\":4,\"changed\":true,\"inFlightAtSwitch\":2,\"tunnelsAtSwitch\":0,"
                        + "\"forced\":true,\"saved\":false}");
    }

    @Test
    void aDrainThatEndedHasNothingRemaining() throws Exception {
        SwitchResult flipped = SwitchResult.flipped(flip(false), 2, 0, true);
        assertThat(JSON.writeValueAsString(flipped.withDrain(true, 15, 0)))
                .endsWith("\"saved\":true,\"drained\":true,\"drainMillis\":15}");
        assertThat(JSON.writeValueAsString(flipped.withDrain(false, 120_000, 1)))
                .endsWith("\"saved\":true,\"drained\":false,\"drainMillis\":120000,\"remaining\":1}");
    }
}
