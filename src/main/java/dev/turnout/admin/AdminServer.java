package dev.turnout.admin;

import dev.turnout.base.Lifecycle;
import dev.turnout.base.LogLimit;
import dev.turnout.base.Transport;
import dev.turnout.metrics.TurnoutMetrics;
import dev.turnout.proxy.Http2Abuse;
import dev.turnout.proxy.ServerTls;
import dev.turnout.routing.TrafficSwitch;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/** The admin listener: its own small event loop, so that a flip is answered even when traffic saturates the proxy's loops. */
public final class AdminServer {

    /** Only tests set it, so as not to wait a minute for an idle connection to close. */
    static final String IDLE_TIMEOUT_PROPERTY = "turnout.admin.idleTimeoutMillis";
    private static final long IDLE_MILLIS = 60_000;

    private final Channel channel;
    private final EventStreams events;

    private AdminServer(Channel channel, EventStreams events) {
        this.channel = channel;
        this.events = events;
    }

    public static AdminServer bind(Transport transport, EventLoopGroup group, InetSocketAddress address,
                                   TrafficSwitch traffic, SwitchService switches, ConfigReloader reloader,
                                   Optional<ServerTls> tls, Http2Abuse http2, TurnoutMetrics metrics, Lifecycle lifecycle,
                                   EventStreams events) throws InterruptedException {
        long idleMillis = Long.getLong(IDLE_TIMEOUT_PROPERTY, IDLE_MILLIS);
        // One limit for every admin connection: a client guessing tokens cannot flood the log.
        LogLimit unauthorized = LogLimit.of(LoggerFactory.getLogger(AdminHandler.class));
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                // AdminHandler asks for each next request once the answer before it is written.
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                // Bytes read and answers written both count as activity. AdminHandler closes on
                                // this only between requests: a switch waiting minutes for a drain is never cut.
                                .addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS))
                                .addLast("http", new HttpServerCodec())
                                .addLast("aggregate", new AdminBodyLimit())
                                // Requests decoded from one read wait here until the answer before them is written.
                                .addLast("one-at-a-time", new FlowControlHandler())
                                .addLast("admin", new AdminHandler(traffic, switches, reloader, tls, http2, metrics, lifecycle,
                                        unauthorized, events));
                    }
                });
        return new AdminServer(bootstrap.bind(address).sync().channel(), events);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        events.close();
        channel.close().syncUninterruptibly();
    }
}
