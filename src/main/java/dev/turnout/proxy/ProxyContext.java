package dev.turnout.proxy;

import dev.turnout.base.Lifecycle;
import dev.turnout.metrics.TurnoutMetrics;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.upstream.UpstreamConnector;

/**
 * What every client connection shares: the switch to route by, the connector, the lifecycle and
 * where outcomes and access log lines go. Settings are not here: each request takes them from the snapshot it routes with.
 */
public record ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, Lifecycle lifecycle, ExchangeOutcomes outcomes,
                           Http2Abuse http2Abuse, TurnoutMetrics metrics, AccessLog accessLog) {

    public ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, Lifecycle lifecycle, TurnoutMetrics metrics,
                        AccessLog accessLog) {
        this(traffic, connector, lifecycle, new ExchangeOutcomes(metrics, accessLog), new Http2Abuse(), metrics, accessLog);
    }
}
