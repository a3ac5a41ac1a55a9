package dev.turnout;

import dev.turnout.base.Transport;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ConfigLoader;
import dev.turnout.config.ProxyConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code startup.warmup}: before the traffic listeners accept, requests through a second Turnout on
 * loopback ports, to a stub backend, from a client in this process, so that the JIT has compiled the
 * request path before the first client arrives. A JVM runs its first seconds interpreted and
 * half-compiled: on 2 cores a fresh Turnout served about half a warm nginx's requests in its first 5 s,
 * and compiling while it serves slows it further (bench/README.md, "Warm-up").
 *
 * <p>The rehearsal is a Turnout like the real one (same code, same access-log format, its lines
 * dropped) but shares nothing with it: its own routing, metrics, listeners and event loops, all
 * closed before the real listeners accept. Its client and backend are a few lines over raw bytes, so
 * that the time goes to Turnout's code rather than theirs.
 */
final class Warmup {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    /** As many as a busy client of a single instance keeps open: both event loops get work. */
    private static final int CONNECTIONS = 32;
    private static final byte[] REQUEST = ("GET /warmup HTTP/1.1\r\nHost: warmup\r\nUser-Agent: turnout-warmup\r\n"
            + "Accept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQUEST_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** A small answer as APIs give, whose body ends in a marker the headers Turnout adds cannot contain. */
    private static final String BODY = "{\"warmup\":\"" + "w".repeat(86) + "\"}\n";
    private static final byte[] ANSWER = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + BODY.length()
            + "\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ANSWER_END = "\"}\n".getBytes(StandardCharsets.US_ASCII);

    private Warmup() {}

    /**
     * Runs the rehearsal for {@code duration}. A warm-up that fails is logged and skipped: Turnout then
     * starts cold, which is slower for a few seconds but not wrong.
     */
    static void run(Duration duration, ProxyConfig.AccessLog accessLog) {
        log.info("warming up for {} before accepting (startup.warmup; connections wait in the listen queue meanwhile)",
                dev.turnout.config.Durations.format(duration));
        long start = System.nanoTime();
        try {
            long answered = rehearse(duration, accessLog);
            log.info("warmed up in {} ms: {} requests through a loopback Turnout", (System.nanoTime() - start) / 1_000_000,
                    answered);
        } catch (Exception e) {
            log.warn("warm-up failed, accepting without it: {}", e.toString());
        }
    }

    private static long rehearse(Duration duration, ProxyConfig.AccessLog accessLog) throws Exception {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "turnout-warmup");
        try {
            Channel backend = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .childHandler(answering(REQUEST_END, ANSWER, null))
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try {
                InetSocketAddress stub = (InetSocketAddress) backend.localAddress();
                return drive(startRehearsal(stub, stub, accessLog.enabled(), accessLog.format()), transport, group, duration);
            } finally {
                backend.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            transport.close();
        }
    }

    /**
     * A Turnout on loopback ports the system picks, pools blue and green on the given backends, the
     * defaults otherwise, remembering nothing; its access log, when on, formats each line and drops it.
     */
    static TurnoutServer startRehearsal(InetSocketAddress blue, InetSocketAddress green, boolean accessLog,
                                        ProxyConfig.AccessLog.Format format) throws TurnoutServer.StartupException {
        ProxyConfig config;
        try {
            config = new ConfigLoader(name -> null).parse("""
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                pools:
                  blue:  { backends: ["127.0.0.1:%d"] }
                  green: { backends: ["127.0.0.1:%d"] }
                accessLog: { enabled: %s, format: %s }
                """.formatted(blue.getPort(), green.getPort(), accessLog, format.key()), "rehearsal");
        } catch (ConfigException e) {
            throw new IllegalStateException("the rehearsal's own config is invalid: " + e.getMessage(), e);
        }
        return TurnoutServer.startRehearsal(config.withState(new ProxyConfig.State(Optional.empty())));
    }

    private static long drive(TurnoutServer server, Transport transport, EventLoopGroup group, Duration duration)
            throws InterruptedException {
        LongAdder answered = new LongAdder();
        List<Channel> clients = new ArrayList<>();
        try {
            Bootstrap bootstrap = new Bootstrap().group(group).channelFactory(transport.clientChannelFactory())
                    .handler(answering(ANSWER_END, REQUEST, answered));
            for (int i = 0; i < CONNECTIONS; i++) {
                Channel client = bootstrap.connect(server.proxyAddress()).sync().channel();
                client.writeAndFlush(Unpooled.wrappedBuffer(REQUEST));
                clients.add(client);
            }
            Thread.sleep(duration.toMillis());
            return answered.sum();
        } finally {
            for (Channel client : clients) {
                client.close().sync();
            }
            server.close();
        }
    }

    private static ChannelInitializer<Channel> answering(byte[] end, byte[] reply, LongAdder counter) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new Answering(end, reply, counter));
            }
        };
    }

    /**
     * Sends {@code reply} once for each {@code end} in what it reads: the backend answers each request
     * head, the client sends the next request after each answer. {@code end}'s first byte occurs in it
     * only once, so a match restarts cleanly and may span reads.
     */
    private static final class Answering extends ChannelInboundHandlerAdapter {
        private final byte[] end;
        private final byte[] reply;
        private final LongAdder counter;
        private int matched;

        Answering(byte[] end, byte[] reply, LongAdder counter) {
            this.end = end;
            this.reply = reply;
            this.counter = counter;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            int found = 0;
            try {
                for (int i = in.readerIndex(); i < in.writerIndex(); i++) {
                    byte b = in.getByte(i);
                    matched = b == end[matched] ? matched + 1 : b == end[0] ? 1 : 0;
                    if (matched == end.length) {
                        found++;
                        matched = 0;
                    }
                }
            } finally {
                in.release();
            }
            if (found > 0) {
                if (counter != null) {
                    counter.add(found);
                }
                ByteBuf out = ctx.alloc().buffer(reply.length * found);
                for (int i = 0; i < found; i++) {
                    out.writeBytes(reply);
                }
                ctx.writeAndFlush(out);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // The rehearsal ends by closing its connections; a reset then is not worth a line.
            ctx.close();
        }
    }
}
