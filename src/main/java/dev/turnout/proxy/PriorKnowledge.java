package dev.turnout.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;

/**
 * On the plain listener with {@code http2.cleartext}: a connection that begins with the HTTP/2
 * connection preface gets the HTTP/2 handlers (h2c with prior knowledge, RFC 9113, 3.3), any other
 * the HTTP/1.1 ones. It looks at no more bytes than the preface, and the bytes go on untouched to
 * the handlers it chose when it removes itself.
 */
final class PriorKnowledge extends ByteToMessageDecoder {

    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

    private final ClientPipeline pipelines;
    private ScheduledFuture<?> timeout;

    PriorKnowledge(ClientPipeline pipelines) {
        this.pipelines = pipelines;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        timeout = pipelines.closeUnlessChosenInTime(ctx);
        ctx.read();
        super.channelActive(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.readableBytes());
        boolean matches = in.slice(in.readerIndex(), n).equals(PREFACE.slice(PREFACE.readerIndex(), n));
        if (matches && n < PREFACE.readableBytes()) {
            // Not enough to tell yet; the decoder asks for more itself, as autoRead is off.
            return;
        }
        pipelines.install(ctx.channel(), matches);
        ctx.pipeline().remove(this);
    }
}
