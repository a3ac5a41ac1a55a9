package dev.turnout.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.EtcdProcess;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TurnoutProcess;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Three Turnout replicas (separate JVMs) and a real etcd: they flip as one. */
class ClusterTest extends BlueGreenTest {

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private EtcdProcess etcd() throws Exception {
        EtcdProcess etcd = EtcdProcess.start(dir.resolve("etcd"));
        started.add(etcd);
        return etcd;
    }

    private List<TurnoutProcess> replicas(EtcdProcess etcd, int n) throws Exception {
        List<TurnoutProcess> replicas = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            TurnoutProcess replica = TurnoutProcess.start(dir.resolve("replica" + i), ProxyHarness.twoPools(blue, green)
                    + "cluster: { name: test, replica: r" + i + ", etcd: { endpoints: [\"" + etcd.endpoint() + "\"] }, leaseTtl: 3s }\n");
            started.add(replica);
            replicas.add(replica);
        }
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/cluster").json().path("replicas")).hasSize(n));
        }
        return replicas;
    }

    @Test
    void aSwitchOnOneReplicaMovesEveryReplicaAndItsAnswerListsTheirDrains() throws Exception {
        EtcdProcess etcd = etcd();
        List<TurnoutProcess> replicas = replicas(etcd, 3);
        for (TurnoutProcess replica : replicas) {
            assertThat(origin(replica)).isEqualTo("blue");
        }

        ProxyHarness.Admin switched = admin(replicas.get(0), "POST", "/admin/switch");
        assertThat(switched.status()).isEqualTo(200);
        assertThat(switched.json().path("to").asText()).isEqualTo("green");
        assertThat(switched.json().path("generation").asLong()).isEqualTo(2);
        JsonNode drains = switched.json().path("replicas");
        assertThat(drains).hasSize(3);
        Set<String> ids = new HashSet<>();
        for (JsonNode drain : drains) {
            ids.add(drain.path("id").asText());
            assertThat(drain.path("applied").asBoolean()).as(drain.toString()).isTrue();
            assertThat(drain.path("drained").asBoolean()).as(drain.toString()).isTrue();
        }
        assertThat(ids).containsExactlyInAnyOrder("r1", "r2", "r3");

        // The answer came once every replica had applied the flip and drained: all serve green now.
        for (TurnoutProcess replica : replicas) {
            assertThat(origin(replica)).isEqualTo("green");
            assertThat(admin(replica, "GET", "/admin/status").json().path("generation").asLong()).isEqualTo(2);
        }
        JsonNode cluster = admin(replicas.get(2), "GET", "/admin/cluster").json();
        assertThat(cluster.path("replicas")).hasSize(3).allSatisfy(r -> {
            assertThat(r.path("applied").asLong()).isEqualTo(2);
            assertThat(r.path("poolsMatch").asBoolean()).isTrue();
        });
        assertThat(cluster.path("connected").asBoolean()).isTrue();
    }

    @Test
    void concurrentSwitchesAndRollbacksOverTheReplicasMakeOneHistory() throws Exception {
        EtcdProcess etcd = etcd();
        List<TurnoutProcess> replicas = replicas(etcd, 3);
        List<CompletableFuture<ProxyHarness.Admin>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            TurnoutProcess replica = replicas.get(i % 3);
            String path = i % 2 == 0 ? "/admin/switch?wait=false" : "/admin/rollback?wait=false";
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return admin(replica, "POST", path);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        int flipped = 0;
        for (CompletableFuture<ProxyHarness.Admin> call : calls) {
            ProxyHarness.Admin answer = call.get(60, TimeUnit.SECONDS);
            // A flip, one another replica's flip beat (409 conflict), or a rollback with nothing to go back to.
            assertThat(answer.status()).as(answer.json().toString()).isIn(200, 409);
            if (answer.status() == 200 && answer.json().path("changed").asBoolean()) {
                flipped++;
            }
            if (answer.status() == 409) {
                assertThat(answer.json().path("error").asText()).isIn("conflict", "no_previous_pool");
            }
        }
        long generation = 1 + flipped;
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/status").json().path("generation").asLong())
                    .isEqualTo(generation));
        }
        String active = admin(replicas.get(0), "GET", "/admin/status").json().path("active").asText();
        for (TurnoutProcess replica : replicas) {
            assertThat(admin(replica, "GET", "/admin/status").json().path("active").asText()).isEqualTo(active);
            JsonNode history = admin(replica, "GET", "/admin/history").json();
            List<Long> generations = new ArrayList<>();
            history.forEach(r -> generations.add(r.path("generation").asLong()));
            // Every generation once, newest first, and none missing.
            List<Long> expected = new ArrayList<>();
            for (long g = generation; g >= 2; g--) {
                expected.add(g);
            }
            assertThat(generations).isEqualTo(expected);
        }
    }

    @Test
    void withEtcdDownReplicasServeTheirPoolAndRefuseSwitchesThenFlipAgainOnceItIsBack() throws Exception {
        EtcdProcess etcd = etcd();
        List<TurnoutProcess> replicas = replicas(etcd, 3);

        etcd.stop();
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/status").json().path("cluster")
                    .path("connected").asBoolean()).isFalse());
            assertThat(origin(replica)).isEqualTo("blue");
        }
        ProxyHarness.Admin refused = admin(replicas.get(1), "POST", "/admin/switch");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.json().path("error").asText()).isEqualTo("cluster_unavailable");
        for (TurnoutProcess replica : replicas) {
            assertThat(origin(replica)).as("no replica flipped alone").isEqualTo("blue");
        }

        etcd.restart();
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/status").json().path("cluster")
                    .path("connected").asBoolean()).isTrue());
        }
        // The refused switch did not happen later either: nothing of it reached etcd.
        for (TurnoutProcess replica : replicas) {
            assertThat(admin(replica, "GET", "/admin/status").json().path("generation").asLong()).isEqualTo(1);
        }
        // Back in etcd, each with a lease again (the old ones may have run out meanwhile): the switch waits for all three.
        await().untilAsserted(() -> assertThat(admin(replicas.get(1), "GET", "/admin/cluster").json().path("replicas")).hasSize(3));
        ProxyHarness.Admin switched = admin(replicas.get(1), "POST", "/admin/switch");
        assertThat(switched.status()).as(switched.json().toString()).isEqualTo(200);
        for (TurnoutProcess replica : replicas) {
            assertThat(origin(replica)).as(switched.json() + "\n" + admin(replica, "GET", "/admin/status").json() + "\n" + replica.output())
                    .isEqualTo("green");
        }
    }

    @Test
    void aThreeMemberEtcdThatLosesAMemberKeepsFlipping() throws Exception {
        List<EtcdProcess> members = EtcdProcess.startCluster(dir.resolve("etcd"), 3);
        started.addAll(members);
        String endpoints = members.stream().map(m -> "\"" + m.endpoint() + "\"").reduce((a, b) -> a + ", " + b).orElseThrow();
        List<TurnoutProcess> replicas = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            TurnoutProcess replica = TurnoutProcess.start(dir.resolve("replica" + i), ProxyHarness.twoPools(blue, green)
                    + "cluster: { name: test, replica: r" + i + ", etcd: { endpoints: [" + endpoints + "] }, leaseTtl: 3s }\n");
            started.add(replica);
            replicas.add(replica);
        }
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/cluster").json().path("replicas")).hasSize(3));
        }

        members.get(0).kill();
        // The two members left are a quorum and elect a leader (when the killed one led).
        members.get(1).awaitHealthy();
        members.get(2).awaitHealthy();
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/status").json().path("cluster")
                    .path("connected").asBoolean()).isTrue());
        }
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/status").json().path("cluster")
                    .path("connected").asBoolean()).isTrue());
        }
        ProxyHarness.Admin switched = admin(replicas.get(2), "POST", "/admin/switch");
        assertThat(switched.status()).as(switched.json().toString()).isEqualTo(200);
        assertThat(switched.json().path("replicas")).hasSize(3);
        for (TurnoutProcess replica : replicas) {
            assertThat(origin(replica)).isEqualTo("green");
        }
    }

    @Test
    void aReplicaRestartedWhileTheClusterFlippedComesBackOnTheCurrentGeneration() throws Exception {
        EtcdProcess etcd = etcd();
        List<TurnoutProcess> replicas = replicas(etcd, 3);
        TurnoutProcess third = replicas.get(2);
        third.close();
        started.remove(third);
        // Killed, it did not revoke its lease: it drops out when the lease runs out.
        await().untilAsserted(() -> assertThat(admin(replicas.get(0), "GET", "/admin/cluster").json().path("replicas")).hasSize(2));

        ProxyHarness.Admin switched = admin(replicas.get(0), "POST", "/admin/switch");
        assertThat(switched.status()).as(switched.json().toString()).isEqualTo(200);
        // Only live replicas are waited for: the stopped one left with its lease.
        assertThat(switched.json().path("replicas")).hasSize(2);

        TurnoutProcess back = TurnoutProcess.start(dir.resolve("replica3"), ProxyHarness.twoPools(blue, green)
                + "cluster: { name: test, replica: r3, etcd: { endpoints: [\"" + etcd.endpoint() + "\"] }, leaseTtl: 3s }\n");
        started.add(back);
        await().untilAsserted(() -> assertThat(admin(back, "GET", "/admin/status").json().path("generation").asLong()).isEqualTo(2));
        assertThat(origin(back)).isEqualTo("green");
    }

    @Test
    void tenClusterFlipsUnderLoadOnTwoReplicasLoseNoRequest() throws Exception {
        EtcdProcess etcd = etcd();
        List<TurnoutProcess> replicas = replicas(etcd, 2);
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            TurnoutProcess target = replicas.get(i % 2);
            Thread client = new Thread(() -> {
                try (RawHttp http = RawHttp.connect(target.proxy())) {
                    while (running.get()) {
                        RawHttp.Response answer = http.get("/load");
                        if (answer.status() == 200) {
                            answered.incrementAndGet();
                        } else {
                            failures.add(answer.status() + " " + answer.text());
                        }
                    }
                } catch (IOException e) {
                    failures.add(e.toString());
                }
            });
            client.start();
            clients.add(client);
        }
        for (int flip = 0; flip < 10; flip++) {
            int before = answered.get();
            await().until(() -> answered.get() > before);
            ProxyHarness.Admin switched = admin(replicas.get(flip % 2), "POST", "/admin/switch");
            assertThat(switched.status()).as(switched.json().toString()).isEqualTo(200);
        }
        running.set(false);
        for (Thread client : clients) {
            client.join(60_000);
        }
        assertThat(failures).isEmpty();
        assertThat(answered.get()).isPositive();
        for (TurnoutProcess replica : replicas) {
            assertThat(admin(replica, "GET", "/admin/status").json().path("generation").asLong()).isEqualTo(11);
        }
    }

    @Test
    void anAutomaticRollbackDecidedByOneReplicaMovesEveryReplicaBack() throws Exception {
        EtcdProcess etcd = etcd();
        List<TurnoutProcess> replicas = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            TurnoutProcess replica = TurnoutProcess.start(dir.resolve("replica" + i), ProxyHarness.twoPools(blue, green)
                    + "trustedProxies: [127.0.0.1]\n"
                    + "rollback: { auto: true, window: 5m, maxErrorRate: 0.05, minRequests: 20, minClients: 3 }\n"
                    + "cluster: { name: test, replica: r" + i + ", etcd: { endpoints: [\"" + etcd.endpoint() + "\"] }, leaseTtl: 3s }\n");
            started.add(replica);
            replicas.add(replica);
        }
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/cluster").json().path("replicas")).hasSize(2));
        }
        green.answerAll(500);
        assertThat(admin(replicas.get(0), "POST", "/admin/switch").status()).isEqualTo(200);

        // Only replica 2 sees the errors; its watch decides, and the cluster follows.
        try (RawHttp client = RawHttp.connect(replicas.get(1).proxy())) {
            for (int sent = 0; sent < 40 && admin(replicas.get(1), "GET", "/admin/status").json().path("active").asText().equals("green");
                    sent++) {
                client.get("/chat", "X-Forwarded-For: 203.0.113." + sent % 4);
            }
        }
        for (TurnoutProcess replica : replicas) {
            await().untilAsserted(() -> assertThat(admin(replica, "GET", "/admin/status").json().path("active").asText())
                    .isEqualTo("blue"));
            JsonNode newest = admin(replica, "GET", "/admin/history").json().get(0);
            assertThat(newest.path("reason").asText()).isEqualTo("auto-rollback");
            assertThat(newest.path("generation").asLong()).isEqualTo(3);
            assertThat(newest.path("by").asText()).isEqualTo("turnout");
        }
    }

    @Test
    void aReplicaWithOtherPoolNamesRefusesToJoinAndSaysWhy() throws Exception {
        EtcdProcess etcd = etcd();
        replicas(etcd, 1);
        String other = "pools:\n  blue:  { backends: [\"" + blue.address() + "\"] }\n  canary: { backends: [\"" + green.address() + "\"] }\n"
                + "cluster: { name: test, replica: odd, etcd: { endpoints: [\"" + etcd.endpoint() + "\"] } }\n";
        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> ProxyHarness.start(dir.resolve("odd"), other));
        assertThat(refused).isInstanceOf(dev.turnout.TurnoutServer.StartupException.class)
                .hasMessage("cluster test has pools [blue, green] but this replica's config has [blue, canary]: "
                        + "replicas of one cluster need the same pool names (change pools, or cluster.name)");
    }

    private static String origin(TurnoutProcess replica) throws IOException {
        try (RawHttp client = RawHttp.connect(replica.proxy())) {
            RawHttp.Response answer = client.get("/");
            assertThat(answer.status()).isEqualTo(200);
            return answer.header("X-Origin").orElseThrow();
        }
    }

    private static ProxyHarness.Admin admin(TurnoutProcess replica, String method, String path) throws IOException {
        try (RawHttp admin = RawHttp.connect(replica.admin())) {
            RawHttp.Response answer = admin.send(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
                    .read(false);
            return new ProxyHarness.Admin(answer.status(), ProxyHarness.json(answer));
        }
    }
}
