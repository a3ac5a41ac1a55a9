package dev.turnout.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.ConfigException;
import dev.turnout.config.ConfigLoader;
import dev.turnout.config.ProxyConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The drain object on its own and as flips, reloads and a graceful stop make it; sockets are the admin tests' part. */
class DrainCountdownTest {

    private final FakeTime time = new FakeTime();
    private final ScheduledExecutorService admin = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "test-admin"));

    @AfterEach
    void stopExecutor() {
        admin.shutdownNow();
    }

    @Test
    void theDrainEndsWhenTheLastRequestOfItsLastBackendEnds() {
        Pool blue = TestPools.pool("blue", 2, time);
        Backend first = blue.backendAt(0);
        Backend second = blue.backendAt(1);
        first.requestStarted();
        first.requestStarted();
        second.requestStarted();

        Drain drain = blue.retire(time, Settle.IMMEDIATELY);
        assertThat(drain.inFlightAtStart()).isEqualTo(3);
        assertThat(blue.draining()).isTrue();
        assertThat(first.retired()).isTrue();

        time.advance(Duration.ofMillis(250));
        first.requestEnded();
        first.requestEnded();
        assertThat(drain.live()).isTrue();
        assertThat(drain.report()).isEqualTo(new Drain.Report(Drain.State.DRAINING, 3, 1, 250));
        time.advance(Duration.ofMillis(50));
        second.requestEnded();

        assertThat(drain.live()).isFalse();
        assertThat(drain.report()).isEqualTo(new Drain.Report(Drain.State.DRAINED, 3, 0, 300));
        assertThat(blue.draining()).isFalse();
        // The exchange that ended the drain asks next whether its connection may be pooled: no.
        assertThat(second.retired()).isTrue();
        blue.reactivate();
        assertThat(second.retired()).isFalse();
        assertThat(drain.report().drained()).isTrue();
    }

    @Test
    void aPoolWithNothingInFlightIsDrainedAtOnce() {
        Drain drain = TestPools.pool("blue", 1, time).retire(time, Settle.IMMEDIATELY);
        assertThat(drain.report()).isEqualTo(new Drain.Report(Drain.State.DRAINED, 0, 0, 0));
    }

    @Test
    void aRequestRoutedBeforeTheFlipButCountedAfterItIsWaitedFor() {
        Pool blue = TestPools.pool("blue", 1, time);
        Backend b = blue.backendAt(0);
        CompletableFuture<Void> loopsDone = new CompletableFuture<>();
        // Nothing in flight yet, but a request on some event loop has read the old snapshot.
        Drain drain = blue.retire(time, () -> loopsDone);
        assertThat(drain.live()).isTrue();
        b.requestStarted();
        loopsDone.complete(null);
        assertThat(drain.live()).as("waits for the request that counted itself late").isTrue();
        b.requestEnded();
        assertThat(drain.report().drained()).isTrue();
    }

    @Test
    void aRequestThatStartsDuringTheDrainIsWaitedFor() {
        Pool blue = TestPools.pool("blue", 1, time);
        Backend b = blue.backendAt(0);
        b.requestStarted();
        Drain drain = blue.retire(time, Settle.IMMEDIATELY);
        b.requestStarted();
        b.requestEnded();
        assertThat(drain.live()).isTrue();
        b.requestEnded();
        assertThat(drain.report().drained()).isTrue();
        assertThat(drain.report().inFlightAtStart()).isEqualTo(1);
    }

    @Test
    void reactivatingThePoolCancelsItsDrain() {
        Pool blue = TestPools.pool("blue", 1, time);
        Backend b = blue.backendAt(0);
        b.requestStarted();
        Drain drain = blue.retire(time, Settle.IMMEDIATELY);
        time.advance(Duration.ofMillis(40));

        blue.reactivate();
        assertThat(drain.report()).isEqualTo(new Drain.Report(Drain.State.CANCELLED, 1, 1, 40));
        assertThat(blue.draining()).isFalse();
        assertThat(b.retired()).isFalse();
        b.requestEnded();
        assertThat(drain.report().state()).isEqualTo(Drain.State.CANCELLED);
    }

    @Test
    void aWaitThatTimesOutReportsTheStragglersAndTheDrainGoesOn() throws Exception {
        Pool blue = TestPools.pool("blue", 1, time);
        Backend b = blue.backendAt(0);
        b.requestStarted();
        Drain drain = blue.retire(time, Settle.IMMEDIATELY);
        time.advance(Duration.ofSeconds(2));

        Drain.Report timedOut = drain.await(Duration.ZERO, admin).get(10, TimeUnit.SECONDS);
        assertThat(timedOut).isEqualTo(new Drain.Report(Drain.State.DRAINING, 1, 1, 2000));
        assertThat(timedOut.drained()).isFalse();
        assertThat(blue.draining()).isTrue();

        CompletableFuture<Drain.Report> later = drain.await(Duration.ofHours(1), admin);
        time.advance(Duration.ofSeconds(1));
        b.requestEnded();
        assertThat(later.get(10, TimeUnit.SECONDS)).isEqualTo(new Drain.Report(Drain.State.DRAINED, 1, 0, 3000));
    }

    @Test
    void aWaitEndsOnTheExecutorNotOnTheThreadOfTheLastRequest() throws Exception {
        Pool blue = TestPools.pool("blue", 1, time);
        blue.backendAt(0).requestStarted();
        CompletableFuture<String> where = blue.retire(time, Settle.IMMEDIATELY).await(Duration.ofHours(1), admin)
                .thenApply(r -> Thread.currentThread().getName());
        blue.backendAt(0).requestEnded();
        assertThat(where.get(10, TimeUnit.SECONDS)).isEqualTo("test-admin");
    }

    @Test
    void aFlipDrainsTheOldPoolAndAFlipBackCancelsThatDrain() throws Exception {
        TrafficSwitch traffic = twoPools();
        Backend blue = traffic.current().active().backendAt(0);
        blue.requestStarted();

        Drain toGreen = traffic.flipTo("green", (from, to) -> Optional.empty()).drain().orElseThrow();
        assertThat(toGreen.inFlightAtStart()).isEqualTo(1);
        assertThat(traffic.current().pool("blue").orElseThrow().draining()).isTrue();
        assertThat(traffic.current().pool("green").orElseThrow().draining()).isFalse();

        Drain toBlue = traffic.flipTo("blue", (from, to) -> Optional.empty()).drain().orElseThrow();
        assertThat(toGreen.report().state()).isEqualTo(Drain.State.CANCELLED);
        assertThat(toGreen.report().remaining()).isEqualTo(1);
        assertThat(toBlue.report().drained()).isTrue();
        assertThat(blue.retired()).isFalse();
        assertThat(traffic.flipTo("blue", (from, to) -> Optional.empty()).drain()).isEmpty();
    }

    @Test
    void aGracefulStopDrainsEveryPoolAndAPoolAlreadyDrainingKeepsItsDrain() {
        TrafficSwitch traffic = twoPools();
        Backend blue = traffic.current().active().backendAt(0);
        Backend green = traffic.current().pool("green").orElseThrow().backendAt(0);
        blue.requestStarted();
        Drain flip = traffic.flipTo("green", (from, to) -> Optional.empty()).drain().orElseThrow();
        green.requestStarted();

        List<Drain> stop = traffic.retireAll();
        assertThat(stop).hasSize(2).contains(flip);
        assertThat(green.retired()).isTrue();
        assertThat(traffic.current().pool("green").orElseThrow().draining()).isTrue();
        blue.requestEnded();
        green.requestEnded();
        assertThat(stop).allMatch(d -> d.report().drained());
    }

    @Test
    void aBackendThatAReloadRemovedNeverPoolsAConnectionAgain() throws Exception {
        TrafficSwitch traffic = twoPools();
        Backend removed = traffic.current().active().backendAt(0);
        removed.requestStarted();

        TrafficSwitch.Reload reload = traffic.reload(config("127.0.0.1:3", "127.0.0.1:2"));
        assertThat(reload.removed()).containsExactly(removed);
        assertThat(removed.draining()).isTrue();
        removed.requestEnded();
        assertThat(removed.draining()).isFalse();
        assertThat(removed.retired()).isTrue();
    }

    private TrafficSwitch twoPools() {
        return TrafficSwitch.start(config("127.0.0.1:1", "127.0.0.1:2"), "blue", Optional.empty(), 1, time, Settle.IMMEDIATELY);
    }

    private static ProxyConfig config(String blue, String green) {
        try {
            return new ConfigLoader(name -> null).parse("pools:\n  blue: { backends: [\"" + blue + "\"] }\n"
                    + "  green: { backends: [\"" + green + "\"] }\n", "proxy.yaml");
        } catch (ConfigException e) {
            throw new IllegalStateException(e);
        }
    }
}
