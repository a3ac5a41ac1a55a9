package dev.turnout.proxy;

import dev.turnout.base.Lifecycle;
import dev.turnout.base.LogLimit;
import dev.turnout.metrics.TurnoutMetrics;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.upstream.UpstreamConnector;
import org.slf4j.LoggerFactory;

/**
 * What every client connection shares: the switch to route by, the connector, the lifecycle and
 * where outcomes go (metrics, access log, rollback watch). Settings are not here: each request takes them from the snapshot it routes with.
 * {@code ownErrors}: the rate-limited WARN lines of the 5xx answers Turnout gives itself.
 */
public record ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, Lifecycle lifecycle, ExchangeOutcomes outcomes,
                           Http2Abuse http2Abuse, TurnoutMetrics metrics, LogLimit ownErrors) {

    public ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, Lifecycle lifecycle, TurnoutMetrics metrics,
                        AccessLog accessLog) {
        this(traffic, connector, lifecycle, new ExchangeOutcomes(metrics, accessLog), new Http2Abuse(), metrics,
                LogLimit.of(LoggerFactory.getLogger(ProxyExchange.class)));
    }
}
