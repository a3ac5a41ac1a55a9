package dev.turnout.proxy;

import dev.turnout.base.Lifecycle;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.upstream.UpstreamConnector;

/**
 * What every client connection shares: the switch to route by, the connector, the lifecycle and
 * where outcomes go. Settings are not here: each request takes them from the snapshot it routes with.
 */
public record ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, Lifecycle lifecycle, ExchangeOutcomes outcomes,
                           Http2Abuse http2Abuse) {

    public ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, Lifecycle lifecycle) {
        this(traffic, connector, lifecycle, new ExchangeOutcomes(), new Http2Abuse());
    }
}
