package dev.turnout.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;

/**
 * Aggregates an admin request up to {@value #MAX_BODY} bytes of body. A larger one is not answered
 * here, as Netty would (an empty 413, ahead of any answer still owed, and an ERROR when the client
 * then hangs up), but handed on as {@link TooLarge} in its place among pipelined requests.
 */
final class AdminBodyLimit extends HttpObjectAggregator {

    static final int MAX_BODY = 64 * 1024;

    /** Stands in for a request whose body is over the limit; the rest of that body is discarded. */
    enum TooLarge { REQUEST }

    AdminBodyLimit() {
        super(MAX_BODY);
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        // A client that announces too large a body gets the same 413 as one that sends it.
        return isContentLengthInvalid(start, maxContentLength) ? null : super.newContinueResponse(start, maxContentLength, pipeline);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        ctx.fireChannelRead(TooLarge.REQUEST);
    }
}
