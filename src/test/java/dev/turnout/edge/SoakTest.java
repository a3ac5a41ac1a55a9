package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A thousand flips under continuous load: no failed request, no leaked buffer, memory that stays flat. */
class SoakTest {

    private static final long MB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void aThousandFlipsUnderLoadLeaveMemoryFlat() throws Exception {
        try (TestOrigin blue = TestOrigin.start("blue"); TestOrigin green = TestOrigin.start("green");
             ProxyHarness proxy = ProxyHarness.start(dir, ProxyHarness.twoPools(blue, green) + "rollback: { auto: false }\n");
             RawHttp admin = RawHttp.connect(proxy.admin())) {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong served = new AtomicLong();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int n = c;
                Thread t = new Thread(() -> {
                    try (RawHttp client = proxy.client()) {
                        while (running.get()) {
                            String path = n % 4 == 0 ? "/stream?chunks=3&intervalMs=1" : "/soak";
                            int status = client.get(path).status();
                            if (status != 200) {
                                failures.add("status " + status);
                            }
                            served.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                });
                clients.add(t);
                t.start();
            }
            flip(admin, 100);
            long heapBefore = heapAfterGc();
            long directBefore = directMemory();
            flip(admin, 1000);
            running.set(false);
            for (Thread t : clients) {
                t.join();
            }
            long heapAfter = heapAfterGc();
            long directAfter = directMemory();

            assertThat(failures).isEmpty();
            assertThat(served.get()).isGreaterThan(1000);
            assertThat(proxy.admin("GET", "/admin/status").json().get("generation").asLong()).isEqualTo(1101);
            assertThat(heapAfter).as("heap after GC, bytes").isLessThan(heapBefore + 32 * MB);
            assertThat(directAfter).as("direct memory, bytes").isLessThanOrEqualTo(directBefore + 16 * MB);
        }
    }

    private static void flip(RawHttp admin, int times) throws Exception {
        for (int i = 0; i < times; i++) {
            admin.send("POST /admin/switch HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n");
            assertThat(admin.read(false).status()).isEqualTo(200);
        }
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Netty's own count of the direct memory it holds, plus the JDK's direct buffer pool. */
    private static long directMemory() {
        long jdk = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return Math.max(0, PlatformDependent.usedDirectMemory()) + jdk;
    }
}
