package dev.turnout.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the HTTPS listener: once the handshake is done, the protocol ALPN chose (h2 or http/1.1;
 * http/1.1 for a client that offered neither) gets its handlers. A client that has not finished its
 * handshake within {@code limits.headerTimeout} is closed: it could not read an answer anyway.
 */
final class ProtocolChoice extends ApplicationProtocolNegotiationHandler {

    private static final Logger log = LoggerFactory.getLogger(ProtocolChoice.class);

    private final ClientPipeline pipelines;
    private ScheduledFuture<?> handshakeTimeout;

    ProtocolChoice(ClientPipeline pipelines) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.pipelines = pipelines;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        handshakeTimeout = pipelines.closeUnlessChosenInTime(ctx);
        // autoRead is off: the handshake's first bytes are asked for here, the TLS handler asks for the rest.
        ctx.read();
        super.channelActive(ctx);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        handshakeTimeout.cancel(false);
        pipelines.install(ctx.channel(), ApplicationProtocolNames.HTTP_2.equals(protocol));
    }

    /** A failed handshake is the client's business (an old protocol, no common cipher, not TLS): it is only closed. */
    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** A client that resets its connection mid-handshake is routine; anything else is a bug of ours. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ClientFailures.routine(cause)) {
            log.error("unexpected failure on a TLS connection from {}", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
        super.channelInactive(ctx);
    }
}
