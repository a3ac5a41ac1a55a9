package dev.turnout.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The switch answer as an operator reads it: tunnels are named only when the old pool had some. */
class FlipReportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tunnelsInFlightAtTheFlipAreNamedAmongItsRequests() throws Exception {
        assertThat(FlipReport.of("switched", JSON.readTree("{\"from\":\"blue\",\"to\":\"green\",\"generation\":2,\"changed\":true,"
                + "\"inFlightAtSwitch\":50,\"tunnelsAtSwitch\":48,\"saved\":true,\"drained\":true,\"drainMillis\":2004}")))
                .isEqualTo(String.format("switched from blue to green (generation 2)%n"
                        + "blue drained in 2004 ms (50 request(s), 48 of them tunnels, in flight at the flip)%n"));
        assertThat(FlipReport.of("switched", JSON.readTree("{\"from\":\"blue\",\"to\":\"green\",\"generation\":2,\"changed\":true,"
                + "\"inFlightAtSwitch\":3,\"tunnelsAtSwitch\":0,\"saved\":true}")))
                .isEqualTo(String.format("switched from blue to green (generation 2)%n"
                        + "not waiting for blue to drain: 3 request(s) in flight there at the flip%n"));
    }
}
