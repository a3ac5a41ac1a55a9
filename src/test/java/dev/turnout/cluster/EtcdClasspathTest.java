package dev.turnout.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.turnout.testing.EtcdProcess;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jetcd 0.8.5 runs its gRPC on Netty 4.1's API; Turnout ships Netty 4.2 (netty-all). On one classpath
 * with a real etcd, everything cluster mode uses works: put, get, a compare-and-set transaction, a
 * watch and a lease.
 */
class EtcdClasspathTest {

    @TempDir
    Path dir;

    @Test
    void putGetTransactionWatchAndLeaseWorkAgainstARealEtcd() throws Exception {
        try (EtcdProcess etcd = EtcdProcess.start(dir);
             Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
            KV kv = client.getKVClient();
            ByteSequence key = bytes("/turnout/test/state");
            List<String> seen = new CopyOnWriteArrayList<>();
            try (Watch.Watcher watcher = client.getWatchClient().watch(key, WatchOption.DEFAULT,
                    response -> response.getEvents().forEach(e -> seen.add(e.getKeyValue().getValue().toString(StandardCharsets.UTF_8))))) {
                kv.put(key, bytes("blue")).get(10, TimeUnit.SECONDS);
                GetResponse got = kv.get(key).get(10, TimeUnit.SECONDS);
                assertThat(got.getKvs()).hasSize(1);
                long revision = got.getKvs().get(0).getModRevision();

                TxnResponse won = kv.txn().If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(revision)))
                        .Then(Op.put(key, bytes("green"), PutOption.DEFAULT)).commit().get(10, TimeUnit.SECONDS);
                TxnResponse lost = kv.txn().If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(revision)))
                        .Then(Op.put(key, bytes("red"), PutOption.DEFAULT)).commit().get(10, TimeUnit.SECONDS);
                assertThat(won.isSucceeded()).isTrue();
                assertThat(lost.isSucceeded()).as("the revision moved on").isFalse();
                await().untilAsserted(() -> assertThat(seen).containsExactly("blue", "green"));
            }

            long lease = client.getLeaseClient().grant(5).get(10, TimeUnit.SECONDS).getID();
            ByteSequence member = bytes("/turnout/test/replicas/r1");
            kv.put(member, bytes("{}"), PutOption.builder().withLeaseId(lease).build()).get(10, TimeUnit.SECONDS);
            assertThat(kv.get(member).get(10, TimeUnit.SECONDS).getKvs()).hasSize(1);
            client.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
            assertThat(kv.get(member).get(10, TimeUnit.SECONDS).getKvs()).as("gone with its lease").isEmpty();
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
