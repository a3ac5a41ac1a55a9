package dev.turnout.base;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket layer, chosen once for every listener and upstream connection: io_uring where the
 * kernel allows it, else native epoll, else NIO. io_uring submits a batch of reads and writes per
 * system call; on loopback the proxy took about a third less CPU per request than with epoll
 * (bench/ab.sh). Docker's default seccomp profile (since Docker 25) forbids io_uring, so
 * containers get epoll.
 * {@code -Dturnout.transport=epoll} (or {@code nio}, {@code io_uring}) overrides the choice.
 *
 * <p>It also owns the DNS resolver, whose UDP sockets live on a loop of their own (epoll or NIO):
 * Netty's io_uring datagram channel leaks its pending read buffer when closed.
 */
public final class Transport implements AutoCloseable {

    /**
     * Netty's classic pooled allocator rather than 4.2's adaptive default: with its per-thread
     * caches the proxy took less CPU per request in each of three rounds of bench/ab.sh
     * (29.7, 30.5, 24.5 against 31.6, 32.6, 25.1 us), and with a 64 MB direct memory cap it
     * still fits the memory tests.
     */
    public static final ByteBufAllocator BUFFERS = PooledByteBufAllocator.DEFAULT;

    private static final Logger log = LoggerFactory.getLogger(Transport.class);
    private static final int DNS_MAX_TTL_SECONDS = 5;

    private final String name;
    private final IoHandlerFactory ioHandlerFactory;
    private final Class<? extends ServerSocketChannel> serverChannel;
    private final ChannelFactory<? extends SocketChannel> newClientChannel;
    private final EventLoopGroup dnsLoop;
    private final AddressResolverGroup<InetSocketAddress> resolver;

    private Transport(String name, IoHandlerFactory ioHandlerFactory, Class<? extends ServerSocketChannel> serverChannel,
                      ChannelFactory<? extends SocketChannel> newClientChannel) {
        this.name = name;
        this.ioHandlerFactory = ioHandlerFactory;
        this.serverChannel = serverChannel;
        this.newClientChannel = newClientChannel;
        boolean epoll = Epoll.isAvailable();
        this.dnsLoop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("turnout-dns", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.resolver = new OwnLoopResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                .ttl(0, DNS_MAX_TTL_SECONDS), dnsLoop);
    }

    public static Transport best() {
        String wanted = System.getProperty("turnout.transport", "auto").toLowerCase(Locale.ROOT);
        boolean uring = IoUring.isAvailable();
        boolean epoll = Epoll.isAvailable();
        boolean forced = !wanted.equals("auto");
        if (forced && !(wanted.equals("nio") || (wanted.equals("epoll") && epoll) || (wanted.equals("io_uring") && uring))) {
            log.warn("turnout.transport={} is not available here (expected: io_uring, epoll or nio); choosing automatically", wanted);
            forced = false;
        }
        String chosen = forced ? wanted : uring ? "io_uring" : epoll ? "epoll" : "nio";
        return switch (chosen) {
            case "io_uring" -> new Transport(chosen, IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                    IoUringSocketChannel::new);
            case "epoll" -> new Transport(chosen, EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel::new);
            default -> new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel::new);
        };
    }

    public String name() {
        return name;
    }

    public Class<? extends ServerSocketChannel> serverChannel() {
        return serverChannel;
    }

    /** Makes client channels by their constructor, for a Bootstrap's channelFactory: no reflection per connection. */
    public ChannelFactory<? extends SocketChannel> clientChannelFactory() {
        return newClientChannel;
    }

    /**
     * Looks backend names up asynchronously, caching answers at most 5 s whatever the record's TTL
     * (Docker's DNS says 600 s), so a re-created backend container is found soon and no lookup ever
     * blocks an event loop.
     */
    public AddressResolverGroup<InetSocketAddress> resolver() {
        return resolver;
    }

    public EventLoopGroup newGroup(int threads, String threadName) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadName, true), ioHandlerFactory);
    }

    @Override
    public void close() {
        resolver.close();
        dnsLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    /** A resolver per connecting loop, as Netty keeps them, but each one's queries go out from the DNS loop. */
    private static final class OwnLoopResolverGroup extends DnsAddressResolverGroup {
        private final EventLoopGroup dnsLoop;

        OwnLoopResolverGroup(DnsNameResolverBuilder builder, EventLoopGroup dnsLoop) {
            super(builder);
            this.dnsLoop = dnsLoop;
        }

        @Override
        protected AddressResolver<InetSocketAddress> newResolver(EventLoop connectingLoop,
                                                                 ChannelFactory<? extends DatagramChannel> channelFactory,
                                                                 DnsServerAddressStreamProvider nameServers) throws Exception {
            return super.newResolver(dnsLoop.next(), channelFactory, nameServers);
        }
    }
}
