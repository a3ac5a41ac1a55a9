package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.upstream.UpstreamConnector;

/** What every client connection shares: the switch to route by, the router, the connector and the upstream limits. */
public record ProxyContext(TrafficSwitch traffic, Router router, UpstreamConnector connector, ProxyConfig.Upstream upstream, int attempts) {

    public static ProxyContext of(ProxyConfig config, TrafficSwitch traffic, UpstreamConnector connector) {
        return new ProxyContext(traffic, new Router(config.preview()), connector, config.upstream(), config.retry().attempts());
    }

    long readTimeoutNanos() {
        return upstream.readTimeout().toNanos();
    }

    long writeTimeoutNanos() {
        return upstream.writeTimeout().toNanos();
    }
}
