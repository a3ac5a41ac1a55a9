package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.EventStream;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** GET /admin/events over real connections: what a deploy script or the dashboard sees while traffic moves. */
class EventsTest extends BlueGreenTest {

    private static final String CHECKS = "health: { interval: 100ms, timeout: 100ms, rise: 2, fall: 2 }\n";

    @Test
    void aFlipIsAnnouncedWithItsDrainAndEveryPoolReportsItsTrafficEachSecond() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             EventStream events = EventStream.open(proxy.admin(), Optional.empty())) {
            assertThat(events.status()).isEqualTo(200);
            assertThat(events.header("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 20; i++) {
                    assertThat(client.get(i < 18 ? "/ok" : "/status/503").status()).isIn(200, 503);
                }
            }
            // The ten-second window holds all twenty, two of them errors; the percentiles come from the same window.
            JsonNode stats = events.await("stats", s -> s.path("pool").asText().equals("blue") && s.path("requests").asLong() == 20);
            assertThat(stats.path("active").asBoolean()).isTrue();
            assertThat(stats.path("errorRate").asDouble()).isEqualTo(0.1);
            assertThat(stats.path("p50Ms").isNumber()).isTrue();
            assertThat(stats.path("p99Ms").asDouble()).isGreaterThanOrEqualTo(stats.path("p50Ms").asDouble());
            assertThat(stats.path("inFlight").asInt()).isZero();
            assertThat(stats.path("backends").get(0).path("address").asText()).isEqualTo(blue.address());
            assertThat(events.find("stats", s -> s.path("pool").asText().equals("blue") && s.path("rps").asDouble() > 0)).isPresent();
            JsonNode idle = events.await("stats", s -> s.path("pool").asText().equals("green"));
            assertThat(idle.path("active").asBoolean()).isFalse();
            assertThat(idle.path("requests").asLong()).isZero();
            assertThat(idle.path("p99Ms").isNull()).isTrue();

            assertThat(proxy.admin("POST", "/admin/switch").json().path("generation").asLong()).isEqualTo(2);
            JsonNode flip = events.await("flip", f -> true);
            assertThat(flip.path("from").asText()).isEqualTo("blue");
            assertThat(flip.path("to").asText()).isEqualTo("green");
            assertThat(flip.path("generation").asLong()).isEqualTo(2);
            assertThat(flip.path("reason").asText()).isEqualTo("manual");
            assertThat(flip.path("by").asText()).isEqualTo("127.0.0.1");
            assertThat(flip.path("inFlightAtSwitch").asInt()).isZero();
            assertThat(flip.path("tunnelsAtSwitch").isInt()).isTrue();
            JsonNode drained = events.await("drain", d -> d.path("done").asBoolean());
            assertThat(drained.path("pool").asText()).isEqualTo("blue");
            assertThat(drained.path("state").asText()).isEqualTo("drained");
            assertThat(drained.path("remaining").asInt()).isZero();
            events.await("stats", s -> s.path("pool").asText().equals("green") && s.path("active").asBoolean());
        }
    }

    @Test
    void aDrainIsReportedUntilItsLastStreamEnds() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             EventStream events = EventStream.open(proxy.admin(), Optional.empty());
             RawHttp stream = proxy.client()) {
            stream.send("GET /stream?chunks=3&gated=true HTTP/1.1\r\nHost: x\r\n\r\n");
            await().until(() -> proxy.server().traffic().current().active().inFlight() == 1);
            proxy.admin("POST", "/admin/switch?wait=false");
            JsonNode draining = events.await("drain", d -> !d.path("done").asBoolean());
            assertThat(draining.path("pool").asText()).isEqualTo("blue");
            assertThat(draining.path("inFlightAtSwitch").asInt()).isEqualTo(1);
            assertThat(draining.path("remaining").asInt()).isEqualTo(1);
            assertThat(events.find("drain", d -> d.path("done").asBoolean())).isEmpty();
            blue.allowChunks(5);
            assertThat(events.await("drain", d -> d.path("done").asBoolean()).path("state").asText()).isEqualTo("drained");
        }
    }

    @Test
    void aBackendGoingDownAndARefusedSwitchAreEvents() throws Exception {
        try (ProxyHarness proxy = startProxy(CHECKS);
             EventStream events = EventStream.open(proxy.admin(), Optional.empty())) {
            green.healthStatus(503);
            JsonNode down = events.await("health", h -> !h.path("up").asBoolean());
            assertThat(down.path("pool").asText()).isEqualTo("green");
            assertThat(down.path("backend").asText()).isEqualTo(green.address());
            assertThat(down.path("error").asText()).isEqualTo("status 503");

            assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(409);
            JsonNode refusal = events.await("refusal", r -> true);
            assertThat(refusal.path("target").asText()).isEqualTo("green");
            assertThat(refusal.path("reason").asText()).isEqualTo("unhealthy");
            assertThat(refusal.path("status").asInt()).isEqualTo(409);
            assertThat(refusal.path("unhealthy").get(0).path("backend").asText()).isEqualTo(green.address());
            assertThat(events.find("flip", f -> true)).isEmpty();

            green.healthStatus(200);
            JsonNode up = events.await("health", h -> h.path("up").asBoolean());
            assertThat(up.path("backend").asText()).isEqualTo(green.address());
            assertThat(up.path("error").isNull()).isTrue();
        }
    }

    @Test
    void theRollbackWatchCountsDownAndItsTripIsAnAutomaticFlip() throws Exception {
        try (ProxyHarness proxy = startProxy("rollback: { window: 5m, maxErrorRate: 0.05, minRequests: 10, minClients: 1 }\n");
             EventStream events = EventStream.open(proxy.admin(), Optional.empty())) {
            proxy.admin("POST", "/admin/switch");
            JsonNode watching = events.await("rollback-watch", w -> w.path("state").asText().equals("watching"));
            assertThat(watching.path("pool").asText()).isEqualTo("green");
            assertThat(watching.path("remainingMillis").asLong()).isPositive();
            assertThat(watching.path("threshold").asDouble()).isEqualTo(0.05);
            try (RawHttp client = proxy.client()) {
                for (int i = 0; i < 4; i++) {
                    client.get("/ok");
                }
                assertThat(events.await("rollback-watch", w -> w.path("requests").asLong() == 4).path("errors").asLong()).isZero();
                while (proxy.server().traffic().current().active().name().equals("green")) {
                    client.get("/status/500");
                }
            }
            JsonNode back = events.await("flip", f -> f.path("reason").asText().equals("auto-rollback"));
            assertThat(back.path("from").asText()).isEqualTo("green");
            assertThat(back.path("to").asText()).isEqualTo("blue");
            assertThat(back.path("by").asText()).isEqualTo("turnout");
            assertThat(back.path("detail").asText()).startsWith("error rate");
            JsonNode tripped = events.await("rollback-watch", w -> w.path("state").asText().equals("tripped"));
            assertThat(tripped.path("errors").asLong()).isPositive();
        }
    }

    @Test
    void theStreamNeedsTheTokenAndEndsCleanlyWhenTurnoutStops() throws Exception {
        ProxyHarness proxy = startProxy("admin: { listen: 127.0.0.1:0, token: s3cret-token }\n");
        try (EventStream refused = EventStream.open(proxy.admin(), Optional.of("wrong"))) {
            assertThat(refused.status()).isEqualTo(401);
        }
        try (EventStream events = EventStream.open(proxy.admin(), Optional.of("s3cret-token"))) {
            assertThat(events.status()).isEqualTo(200);
            events.await("stats", s -> true);
            proxy.close();
            await().until(events::ended);
            assertThat(events.endedCleanly()).isTrue();
        }
    }

    @Test
    void aReloadThatChangesTheTokenEndsTheStreamsOpenedWithTheOldOne() throws Exception {
        try (ProxyHarness proxy = startProxy("admin: { listen: 127.0.0.1:0, token: old-token }\n");
             EventStream events = EventStream.open(proxy.admin(), Optional.of("old-token"))) {
            events.await("stats", s -> true);
            proxy.rewriteConfig(dir, ProxyHarness.twoPools(blue, green) + "admin: { listen: 127.0.0.1:0, token: new-token }\n");
            try (RawHttp admin = RawHttp.connect(proxy.admin())) {
                admin.send("POST /admin/reload HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer old-token\r\nContent-Length: 0\r\n\r\n");
                assertThat(admin.read(false).status()).isEqualTo(200);
            }
            await().until(events::ended);
            try (EventStream again = EventStream.open(proxy.admin(), Optional.of("old-token"))) {
                assertThat(again.status()).isEqualTo(401);
            }
        }
    }

    @Test
    void streamsAreCappedAndAClosedOneFreesItsPlace() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            List<EventStream> open = new ArrayList<>();
            try {
                for (int i = 0; i < EventStreams.MAX_STREAMS; i++) {
                    EventStream s = EventStream.open(proxy.admin(), Optional.empty());
                    open.add(s);
                    assertThat(s.status()).isEqualTo(200);
                }
                try (EventStream one = EventStream.open(proxy.admin(), Optional.empty())) {
                    assertThat(one.status()).isEqualTo(503);
                }
                open.remove(0).close();
                await().untilAsserted(() -> {
                    try (EventStream again = EventStream.open(proxy.admin(), Optional.empty())) {
                        assertThat(again.status()).isEqualTo(200);
                    }
                });
            } finally {
                open.forEach(EventStream::close);
            }
        }
    }
}
