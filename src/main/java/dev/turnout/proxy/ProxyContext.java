package dev.turnout.proxy;

import dev.turnout.base.Lifecycle;
import dev.turnout.base.LogLimit;
import dev.turnout.routing.TrafficSwitch;
import dev.turnout.upstream.UpstreamConnector;
import org.slf4j.LoggerFactory;

/**
 * What every client connection shares: the switch to route by, the connector, the lifecycle and
 * where outcomes go. Settings are not here: each request takes them from the snapshot it routes with.
 * {@code ownErrors}: the rate-limited WARN lines of the 5xx answers Turnout gives itself.
 */
public record ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, Lifecycle lifecycle, ExchangeOutcomes outcomes,
                           Http2Abuse http2Abuse, LogLimit ownErrors) {

    public ProxyContext(TrafficSwitch traffic, UpstreamConnector connector, Lifecycle lifecycle) {
        this(traffic, connector, lifecycle, new ExchangeOutcomes(), new Http2Abuse(),
                LogLimit.of(LoggerFactory.getLogger(ProxyExchange.class)));
    }
}
