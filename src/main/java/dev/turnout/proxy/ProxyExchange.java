package dev.turnout.proxy;

import dev.turnout.config.Durations;
import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.Backend;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RollbackWatch;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.upstream.BodyFraming;
import dev.turnout.upstream.ResponseHead;
import dev.turnout.upstream.UpstreamConnection;
import dev.turnout.upstream.UpstreamConnector;
import dev.turnout.upstream.UpstreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Set;

/**
 * One request and its response, from the request head to the last byte of the answer. It routes
 * with the snapshot read when the head arrived, holds one upstream connection, relays both bodies
 * with backpressure, and ends exactly once: the in-flight count, the connection's return to the
 * pool and the client's next request all hang off {@link #end}. The response goes to the client
 * as the backend's bytes: its head copied line by line without the hop-by-hop headers, its body
 * as read, chunk framing and all.
 *
 * <p>Everything runs on the client channel's event loop, which is also the upstream channel's.
 */
final class ProxyExchange implements UpstreamListener {

    /** Methods that may be sent again after a failure that might have reached a backend (RFC 9110, 9.2.2). */
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE);
    private static final byte[] CHUNKED_LINE = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE_LINE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE_LINE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);

    private final FrontendHandler front;
    private final ChannelHandlerContext client;
    private final ProxyContext context;
    private final HttpRequest request;
    private final RoutingSnapshot snapshot;
    private final ProxyConfig.Upstream upstreamConfig;
    private final long firstByteTimeoutNanos;
    private final long readTimeoutNanos;
    private final long writeTimeoutNanos;
    private final long clientIdleNanos;
    private final Pool pool;
    private final boolean preview;
    /** The rollback watch this request's outcome feeds, or null. */
    private final RollbackWatch watch;
    /** The client's address as the watch counts it; only looked for while a watch needs it. */
    private final CharSequence clientAddress;
    private final boolean clientKeepAlive;
    private final boolean clientHttp11;
    private final boolean headRequest;
    private final boolean bodyless;
    /** The body comes, and goes upstream, in chunks. */
    private final boolean chunked;
    private final boolean idempotent;
    private final int start;
    private final long maxBodyBytes;
    private long bodyBytes;

    private int tries;
    private BitSet tried;
    private Backend backend;
    private boolean counted;
    private UpstreamConnection upstream;
    private ArrayDeque<HttpContent> held;
    private StringBuilder refusals;

    private boolean requestReceived;
    private boolean requestSent;
    private boolean responseStarted;
    /** The final response head arrived: from here readTimeout bounds the backend's silences, before it firstByteTimeout the wait. */
    private boolean headArrived;
    /** The backend framed the body by closing; an HTTP/1.1 client gets it in chunks we frame. */
    private boolean chunkEncode;
    private int responseStatus;
    private boolean upstreamReusable;
    private boolean closeClient;
    private boolean ended;

    private long lastUpstreamActivity;
    private long requestSentAt;
    private long lastClientActivity;
    private long stalledSince;
    /** When the client stopped taking the answer (its channel went unwritable), or 0. */
    private long clientStalledSince;
    /** Whether the timeouts below are running: from the first byte sent upstream to the end of this attempt. */
    private boolean watched;

    ProxyExchange(FrontendHandler front, ChannelHandlerContext client, ProxyContext context, HttpRequest request,
                  RoutingSnapshot snapshot, Router.Route route, CharSequence clientIp, boolean trustedPeer) {
        this.front = front;
        this.client = client;
        this.context = context;
        this.request = request;
        this.snapshot = snapshot;
        this.upstreamConfig = snapshot.config().upstream();
        this.firstByteTimeoutNanos = upstreamConfig.firstByteTimeout().toNanos();
        this.readTimeoutNanos = upstreamConfig.readTimeout().toNanos();
        this.writeTimeoutNanos = upstreamConfig.writeTimeout().toNanos();
        this.clientIdleNanos = snapshot.config().limits().idleTimeout().toNanos();
        this.pool = route.pool();
        this.preview = route.preview();
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.clientHttp11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.chunked = HttpUtil.isTransferEncodingChunked(request);
        this.bodyless = !chunked && HttpUtil.getContentLength(request, 0L) == 0;
        this.idempotent = IDEMPOTENT.contains(request.method());
        this.start = pool.nextStart();
        this.maxBodyBytes = snapshot.config().limits().maxBodyBytes();
        RollbackWatch w = preview ? null : snapshot.watch().orElse(null);
        // By name: a reload may have rebuilt the pool since the watch began.
        this.watch = w != null && w.pool().name().equals(pool.name()) ? w : null;
        // Before prepareRequest: the X-Forwarded-For to read is the one the trusted peer sent.
        this.clientAddress = watch == null || !trustedPeer ? clientIp
                : ClientAddress.behindTrustedPeer(request.headers(), clientIp, snapshot.config().trustedProxies());
        prepareRequest(clientIp, trustedPeer);
    }

    boolean requestReceived() {
        return requestReceived;
    }

    private void prepareRequest(CharSequence clientIp, boolean trustedPeer) {
        var headers = request.headers();
        HeaderRules.stripRequestHeaders(headers, snapshot.config().headers().allowUnderscores(), trustedPeer);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        HeaderRules.addForwarded(headers, clientIp, trustedPeer);
    }

    void start() {
        tryNextBackend();
    }

    /** Takes the next healthy untried backend of the pool and connects to it, or reuses one of its idle connections. */
    private void tryNextBackend() {
        if (backend != null && tried == null) {
            // Only a retry pays for the set; a first try is remembered by its backend alone.
            tried = new BitSet(pool.backends().size());
            tried.set(pool.backends().indexOf(backend));
        }
        int index = pool.pick(start, tried);
        if (tried != null) {
            tried.set(index);
        }
        tries++;
        backend = pool.backendAt(index);
        backend.requestStarted();
        counted = true;
        if (!clientHttp11 && !request.headers().contains(HttpHeaderNames.HOST)) {
            // HTTP/1.1 requests carry exactly one Host (ClientRules); an HTTP/1.0 one may lack it.
            request.headers().set(HttpHeaderNames.HOST, backend.address().toString());
        }
        UpstreamConnection pooled = backend.idle().poll(client.channel().eventLoop());
        if (pooled != null) {
            connected(pooled);
            return;
        }
        context.connector().connect(backend, client.channel().eventLoop(), upstreamConfig.connectTimeout()).addListener((ChannelFutureListener) this::onConnect);
    }

    /** Whether another backend of the same pool may still be tried; never across pools, never after the answer began. */
    private boolean mayTryAnother() {
        return !responseStarted && tries < snapshot.config().retry().attempts() && pool.backends().size() > triedCount();
    }

    private int triedCount() {
        return tried == null ? 1 : tried.cardinality();
    }

    /** Gives up the current attempt and sends the request to another backend. */
    private void retry() {
        endAttempt();
        discardUpstream();
        requestSent = false;
        tryNextBackend();
    }

    private void discardUpstream() {
        if (upstream != null) {
            upstream.discard();
            upstream = null;
        }
    }

    private void onConnect(ChannelFuture future) {
        if (future.isSuccess()) {
            connected(UpstreamConnector.connectionOf(future.channel()));
        } else if (!ended) {
            connectFailed(future.cause());
        }
    }

    private void connected(UpstreamConnection connection) {
        if (ended) {
            // The client went away while we connected; the fresh connection is still clean.
            connection.release(true, upstreamConfig.keepalive().maxRequestsPerConnection());
            return;
        }
        upstream = connection;
        // An HTTP/1.0 client knows no chunks: it gets a chunked body's data alone, ended by closing.
        connection.attach(this, headRequest, !clientHttp11);
        Channel ch = connection.channel();
        // A bodyless request is whole at its head: sent at once, with one flush, on every attempt.
        ch.write(RequestBytes.head(ch.alloc(), request), ch.voidPromise());
        if (held != null) {
            HttpContent part;
            while ((part = held.poll()) != null) {
                RequestBytes.write(ch, part, chunked);
            }
        }
        ch.flush();
        lastUpstreamActivity = System.nanoTime();
        requestSentAt = lastUpstreamActivity;
        requestSent = bodyless || requestReceived;
        watched = true;
        // The connection's clock checks this exchange; it only needs moving when our first deadline comes before its tick.
        front.tickWithin(Math.min(clientIdleNanos, Math.min(firstByteTimeoutNanos, writeTimeoutNanos)));
        ch.read();
        if (!requestSent) {
            resumeClientIfUpstreamWritable();
        }
    }

    private void connectFailed(Throwable cause) {
        String detail = describe(cause);
        // Nothing reached the backend, so any method may go elsewhere; the backend is out until checks pass again.
        backend.health().markDown("connect failed: " + detail);
        noteRefusal(detail);
        if (mayTryAnother()) {
            retry();
            return;
        }
        if (triedCount() == pool.backends().size() && pool.backends().size() > 1) {
            fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "service_unavailable", null, "no reachable backend (" + refusals + ")");
        } else if (cause instanceof ConnectTimeoutException) {
            fail(HttpResponseStatus.GATEWAY_TIMEOUT, "gateway_timeout", backend.toString(), detail);
        } else {
            fail(HttpResponseStatus.BAD_GATEWAY, "bad_gateway", backend.toString(), detail);
        }
    }

    private void noteRefusal(String detail) {
        if (refusals == null) {
            refusals = new StringBuilder();
        } else {
            refusals.append("; ");
        }
        refusals.append(backend).append(": ").append(detail);
    }

    /** A part of the request body from the client; this exchange now owns it. */
    void onClientContent(HttpContent part) {
        if (ended) {
            part.release();
            return;
        }
        boolean last = part instanceof LastHttpContent;
        if (last) {
            requestReceived = true;
        }
        bodyBytes += part.content().readableBytes();
        lastClientActivity = System.nanoTime();
        if (maxBodyBytes > 0 && bodyBytes > maxBodyBytes) {
            part.release();
            tooLarge();
            return;
        }
        if (bodyless) {
            // Nothing to send: the head was the whole request; see connected().
            part.release();
        } else if (upstream == null) {
            if (held == null) {
                held = new ArrayDeque<>(4);
            }
            held.add(part);
        } else {
            Channel ch = upstream.channel();
            RequestBytes.write(ch, part, chunked);
            ch.flush();
            if (last) {
                requestSent = true;
                lastUpstreamActivity = System.nanoTime();
                requestSentAt = lastUpstreamActivity;
            } else {
                resumeClientIfUpstreamWritable();
            }
        }
        if (last) {
            // One more read notices a client that hangs up while it waits, and holds any pipelined request.
            front.readMore();
        }
    }

    private void resumeClientIfUpstreamWritable() {
        if (upstream.channel().isWritable()) {
            stalledSince = 0;
            front.readMore();
        } else if (stalledSince == 0) {
            stalledSince = System.nanoTime();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable && !requestSent && !ended) {
            resumeClientIfUpstreamWritable();
        }
    }

    void onClientWritabilityChanged(boolean writable) {
        clientStalledSince = writable ? 0 : System.nanoTime();
        if (writable && upstream != null && requestSent) {
            lastUpstreamActivity = System.nanoTime();
            upstream.channel().read();
        }
    }

    @Override
    public void onResponseHead(ResponseHead head) {
        int code = head.status();
        if (code == 101) {
            // Upgrade was stripped from the request, so a 101 is a backend out of step with us.
            upstreamFailed("unexpected 101 Switching Protocols");
            return;
        }
        if (code == 100) {
            // Turnout answered any Expect itself; a 100 from the backend would be a second one.
            return;
        }
        if (code < 200) {
            // From here on a byte of this answer has reached the client: no retry any more.
            responseStarted = true;
            client.write(interimHead(head), client.voidPromise());
            return;
        }
        if ((code == 502 || code == 503) && bodyless && idempotent && requestSent && mayTryAnother()) {
            noteRefusal("answered " + code);
            retry();
            return;
        }
        responseStarted = true;
        headArrived = true;
        // The clock may be set for the end of firstByteTimeout; the first gap after the head may end sooner.
        front.tickWithin(readTimeoutNanos);
        responseStatus = code;
        upstreamReusable = head.reusable();
        BodyFraming framing = head.framing();
        boolean chunked = false;
        if (framing == BodyFraming.CHUNKED || framing == BodyFraming.UNTIL_CLOSE) {
            if (clientHttp11) {
                chunked = true;
                chunkEncode = framing == BodyFraming.UNTIL_CLOSE;
            } else {
                // An HTTP/1.0 client knows no chunks: the end of the body is the end of the connection.
                closeClient = true;
            }
        }
        if (!clientKeepAlive || bodyStillComing()) {
            // A request whose body is still coming cannot be followed by another on this connection.
            closeClient = true;
        }
        client.write(finalHead(head, chunked), client.voidPromise());
    }

    /** The head the client gets: the backend's, as HTTP/1.1, without hop-by-hop headers, with our framing and connection lines. */
    private ByteBuf finalHead(ResponseHead head, boolean chunked) {
        ByteBuf out = headLines(head, CHUNKED_LINE.length + KEEP_ALIVE_LINE.length);
        if (chunked) {
            out.writeBytes(CHUNKED_LINE);
        }
        if (closeClient) {
            out.writeBytes(CLOSE_LINE);
        } else if (!clientHttp11) {
            out.writeBytes(KEEP_ALIVE_LINE);
        }
        return out.writeShort(Framing.CRLF);
    }

    private ByteBuf interimHead(ResponseHead head) {
        return headLines(head, 0).writeShort(Framing.CRLF);
    }

    /** The status line and end-to-end header lines in a buffer with room for {@code extra} more bytes and the final CRLF. */
    private ByteBuf headLines(ResponseHead head, int extra) {
        ByteBuf out = client.alloc().buffer(head.size() + extra + 2);
        head.writeTo(out);
        return out;
    }

    private boolean bodyStillComing() {
        return !bodyless && !requestReceived;
    }

    @Override
    public void onResponseBody(ByteBuf bytes) {
        if (chunkEncode) {
            Framing.writeChunk(client, client.alloc(), bytes);
        } else {
            client.write(bytes, client.voidPromise());
        }
    }

    @Override
    public void onResponseEnd() {
        if (chunkEncode) {
            client.write(Framing.lastChunk(client.alloc(), EmptyHttpHeaders.INSTANCE), client.voidPromise());
        }
        complete();
    }

    @Override
    public void onResponseInvalid(String reason) {
        if (responseStarted) {
            abort();
        } else {
            upstreamFailed(reason);
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        lastUpstreamActivity = System.nanoTime();
        client.flush();
        if (client.channel().isWritable()) {
            upstream.channel().read();
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        UpstreamConnection closed = upstream;
        upstream = null;
        if (ended) {
            return;
        }
        if (responseStarted) {
            // A backend that dies mid-answer is down: no new request goes there until checks pass again.
            backend.health().markDown("connection lost mid-response");
            abort();
            return;
        }
        String detail = cause == null ? "backend closed the connection before responding" : describe(cause);
        if (closed != null && closed.requests() == 1) {
            // On a reused connection this may be the backend's keep-alive timeout racing us; on a fresh one, it is the backend.
            backend.health().markDown(detail);
        }
        // The request may have reached the backend: only a bodyless idempotent request may go elsewhere.
        if (bodyless && idempotent && mayTryAnother()) {
            noteRefusal(detail);
            retry();
        } else {
            upstreamFailed(detail);
        }
    }

    /** The client hung up before its answer ended. */
    void onClientClosed() {
        if (!ended) {
            end();
            discardUpstream();
        }
    }

    /**
     * Called by the client connection's clock: ends the exchange if one of its timeouts passed, and
     * says how long until the next one could. One timer per connection instead of one per request.
     *
     * @return nanoseconds until this exchange needs checking again, or Long.MAX_VALUE
     */
    long checkTimeouts(long now) {
        if (ended || !watched) {
            return Long.MAX_VALUE;
        }
        long next;
        if (requestSent && headArrived) {
            if (clientStalledSince != 0) {
                // We stopped reading because the client is slow; the backend's silence is ours. A client
                // that takes nothing for as long as an idle connection may live is gone (nginx's send_timeout).
                lastUpstreamActivity = now;
                long stalled = now - clientStalledSince;
                if (stalled >= clientIdleNanos) {
                    clientGone();
                    return Long.MAX_VALUE;
                }
                return Math.min(readTimeoutNanos, clientIdleNanos - stalled);
            }
            long silent = now - lastUpstreamActivity;
            if (silent >= readTimeoutNanos) {
                // The head went out: a silent backend can only cut the answer short.
                abort();
                return Long.MAX_VALUE;
            }
            next = readTimeoutNanos - silent;
        } else if (requestSent) {
            // The whole head, not each of its bytes: a backend dripping it cannot hold the request longer.
            long waited = now - requestSentAt;
            if (waited >= firstByteTimeoutNanos) {
                timedOut("no complete response head within " + Durations.format(upstreamConfig.firstByteTimeout()) + " (firstByteTimeout)");
                return Long.MAX_VALUE;
            }
            next = firstByteTimeoutNanos - waited;
        } else if (stalledSince != 0) {
            long stalled = now - stalledSince;
            if (stalled >= writeTimeoutNanos) {
                timedOut("backend accepted no request bytes for " + Durations.format(upstreamConfig.writeTimeout()));
                return Long.MAX_VALUE;
            }
            next = writeTimeoutNanos - stalled;
        } else {
            // Waiting for the client's body: a client silent that long mid-request is gone or hostile.
            long silent = now - Math.max(lastClientActivity, lastUpstreamActivity);
            if (silent >= clientIdleNanos) {
                clientTimedOut();
                return Long.MAX_VALUE;
            }
            next = Math.min(clientIdleNanos - silent, writeTimeoutNanos);
        }
        return next;
    }

    private void clientTimedOut() {
        if (responseStarted) {
            clientGone();
        } else {
            fail(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout", null, "request body stalled for "
                    + Durations.format(snapshot.config().limits().idleTimeout()), false);
        }
    }

    private void timedOut(String detail) {
        if (responseStarted) {
            abort();
        } else {
            fail(HttpResponseStatus.GATEWAY_TIMEOUT, "gateway_timeout", backend.toString(), detail);
        }
    }

    /** A chunked body grew past limits.maxBodyBytes while it streamed. */
    private void tooLarge() {
        if (responseStarted) {
            abort();
            return;
        }
        ClientRules.Refusal r = ClientRules.tooLarge(maxBodyBytes);
        // The backend got part of a body it will never see the end of: its connection goes, and so does the client's.
        fail(r.status(), r.error(), null, r.detail(), false);
    }

    private void upstreamFailed(String detail) {
        fail(HttpResponseStatus.BAD_GATEWAY, "bad_gateway", backend.toString(), detail);
    }

    /** Answers the client with a JSON error; only possible before any byte of a response went out. */
    private void fail(HttpResponseStatus status, String error, String failedBackend, String detail) {
        fail(status, error, failedBackend, detail, true);
    }

    /** @param poolsFault false when the client caused it (a stalled or oversized body): the rollback watch ignores those */
    private void fail(HttpResponseStatus status, String error, String failedBackend, String detail, boolean poolsFault) {
        end();
        if (poolsFault) {
            recordOutcome(true);
        }
        discardUpstream();
        boolean close = !clientKeepAlive || bodyStillComing();
        front.answer(ErrorAnswers.of(status, error, pool.name(), failedBackend, detail, close), close);
    }

    /** The client stalled mid-exchange, after its answer began: its connection closes, and the pool is not to blame. */
    private void clientGone() {
        end();
        discardUpstream();
        front.closeAfterFlush();
    }

    /** The response broke after it began: the client must see a truncated answer, so its connection closes. */
    private void abort() {
        end();
        recordOutcome(true);
        discardUpstream();
        front.closeAfterFlush();
    }

    private void complete() {
        end();
        recordOutcome(responseStatus >= 500);
        // A retired pool's connections close as their requests end; a previewed pool keeps its own.
        boolean poolInUse = !backend.removed() && (preview || context.traffic().current().active().name().equals(pool.name()));
        upstream.release(upstreamReusable && requestSent && poolInUse,
                upstreamConfig.keepalive().maxRequestsPerConnection());
        upstream = null;
        front.exchangeComplete(closeClient);
    }

    /** The one end of an exchange, whatever ended it: counts, timeouts and any body parts still held. */
    private void end() {
        ended = true;
        endAttempt();
        releaseHeld();
    }

    private void endAttempt() {
        endCount();
        watched = false;
    }

    /** Feeds the pool's outcome history and the rollback watch on it; preview traffic never counts. */
    private void recordOutcome(boolean failed) {
        if (preview) {
            return;
        }
        pool.outcomes().record(failed);
        if (watch != null) {
            watch.record(failed, clientAddress);
        }
    }

    private void endCount() {
        if (counted) {
            counted = false;
            backend.requestEnded();
        }
    }

    private void releaseHeld() {
        if (held != null) {
            HttpContent part;
            while ((part = held.poll()) != null) {
                part.release();
            }
        }
    }

    private String describe(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "connect timed out";
        }
        if (cause instanceof ConnectException) {
            return "connection refused";
        }
        if (cause instanceof UnknownHostException) {
            return "cannot resolve host " + backend.address().host();
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }
}
