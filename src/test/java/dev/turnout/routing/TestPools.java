package dev.turnout.routing;

import dev.turnout.config.HostPort;
import dev.turnout.config.ProxyConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/** Pools of backends nobody connects to: the routing classes count and choose without a socket. */
final class TestPools {

    private static final ProxyConfig.Keepalive KEEPALIVE = new ProxyConfig.Keepalive(OptionalInt.empty(), Duration.ofSeconds(60), 1000);

    private TestPools() {}

    static Pool pool(String name, int backends, TimeSource time) {
        List<HostPort> addresses = IntStream.range(0, backends).mapToObj(i -> new HostPort("127.0.0.1", 9000 + i)).toList();
        return new Pool(new ProxyConfig.PoolSpec(name, addresses), KEEPALIVE, Map.of(), Duration.ofMinutes(5), time);
    }
}
