package dev.turnout.proxy;

import dev.turnout.routing.RoutingSnapshot;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * The client connection: reads one request at a time (autoRead is off), hands it to a
 * {@link ProxyExchange}, and holds pipelined requests until the answer before them is complete.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private final ProxyContext context;
    private ChannelHandlerContext ctx;
    private String clientIp;
    private ProxyExchange exchange;
    private ArrayDeque<Object> pipelined;
    private boolean closing;

    FrontendHandler(ProxyContext context) {
        this.context = context;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        clientIp = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
        } else if ((exchange != null && exchange.requestReceived()) || (pipelined != null && !pipelined.isEmpty())) {
            if (pipelined == null) {
                pipelined = new ArrayDeque<>(4);
            }
            pipelined.add(msg);
        } else {
            dispatch(msg);
        }
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest request) {
            if (request.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                rejectMalformed(request.decoderResult().cause());
                return;
            }
            RoutingSnapshot snapshot = context.traffic().current();
            Router.Route route = context.router().route(request, snapshot);
            if (route == null) {
                ReferenceCountUtil.release(msg);
                // The body, if any, cannot be skipped reliably here: the connection ends with the answer.
                answer(ErrorAnswers.of(HttpResponseStatus.BAD_REQUEST, "unknown_pool", null, null,
                        context.router().headerName() + " names no pool (pools: " + String.join(", ", snapshot.poolNames()) + ")", true), true);
                return;
            }
            exchange = new ProxyExchange(this, ctx, context, request, snapshot, route, clientIp);
            exchange.start();
        } else if (msg instanceof HttpContent part) {
            if (exchange == null) {
                part.release();
            } else if (part.decoderResult().isFailure()) {
                part.release();
                rejectMalformed(part.decoderResult().cause());
            } else {
                exchange.onClientContent(part);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void rejectMalformed(Throwable cause) {
        if (exchange != null) {
            // The body broke mid-request: whatever the backend got, the client's framing is lost.
            exchange.onClientClosed();
            exchange = null;
        }
        HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
        answer(ErrorAnswers.of(status, "bad_request", null, null, "malformed request: " + cause.getMessage(), true), true);
    }

    void readMore() {
        ctx.read();
    }

    /** Writes an answer of the proxy's own and ends the current exchange with it. */
    void answer(FullHttpResponse response, boolean close) {
        ctx.write(response);
        exchangeComplete(close);
    }

    void exchangeComplete(boolean close) {
        exchange = null;
        if (close) {
            closeAfterFlush();
            return;
        }
        ctx.flush();
        while (pipelined != null && !pipelined.isEmpty() && (exchange == null || !exchange.requestReceived()) && !closing) {
            dispatch(pipelined.poll());
        }
        if (!closing && (exchange == null || !exchange.requestReceived())) {
            ctx.read();
        }
    }

    void closeAfterFlush() {
        exchange = null;
        closing = true;
        releasePipelined();
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onClientWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.onClientClosed();
            exchange = null;
        }
        releasePipelined();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes from clients are routine at the edge; closing is the whole answer.
        ctx.close();
    }

    private void releasePipelined() {
        if (pipelined != null) {
            Object msg;
            while ((msg = pipelined.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
        }
    }
}
