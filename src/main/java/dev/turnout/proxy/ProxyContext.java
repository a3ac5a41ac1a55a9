package dev.turnout.proxy;

import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.upstream.UpstreamConnector;

/** What every client connection shares: the switch to route by, the connector and the upstream limits. */
public record ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, ProxyConfig.Upstream upstream) {

    long readTimeoutNanos() {
        return upstream.readTimeout().toNanos();
    }

    long writeTimeoutNanos() {
        return upstream.writeTimeout().toNanos();
    }
}
