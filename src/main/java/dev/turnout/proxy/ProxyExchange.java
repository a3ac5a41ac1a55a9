package dev.turnout.proxy;

import dev.turnout.config.Durations;
import dev.turnout.config.ProxyConfig;
import dev.turnout.metrics.TurnoutMetrics;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RollbackWatch;
import dev.turnout.routing.RoutingSnapshot;
import dev.turnout.upstream.BodyFraming;
import dev.turnout.upstream.ResponseHead;
import dev.turnout.upstream.UpstreamConnection;
import dev.turnout.upstream.UpstreamConnector;
import dev.turnout.upstream.UpstreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * One request and its response, from the request head to the last byte of the answer. It routes
 * with the snapshot read when the head arrived, tries the backends of one pool as
 * {@link Attempts}, relays both bodies with backpressure, and speaks to its client only through
 * a {@link ClientStream}. Its {@link Phase} says what it waits for, and which timeout runs.
 *
 * <p>It ends exactly once, in {@link #finish}: the upstream connection's return to its pool or its
 * close, the attempt's in-flight count and the outcome ({@link ExchangeOutcomes}) hang off that one
 * call, on success, error, timeout and client abort; then the client stream hears how the answer
 * ended (end, answer or abort).
 *
 * <p>Everything runs on the client stream's event loop, which is also the upstream channel's.
 */
final class ProxyExchange implements UpstreamListener {

    /** What the exchange waits for; timeouts switch on it. */
    enum Phase {
        /** For a connection to the attempt's backend (Netty's connect timeout runs). */
        CONNECTING,
        /** The request body is still going upstream (writeTimeout while the backend takes nothing, the client's idle timeout while it sends nothing). */
        SENDING,
        /** The request is sent; the whole final response head must come within firstByteTimeout. */
        AWAITING_HEAD,
        /** The answer goes to the client; readTimeout bounds each silence of the backend. */
        RELAYING,
        /** The backend switched protocols (101): bytes pass both ways unread; limits.tunnelIdleTimeout bounds a silence of both. */
        TUNNEL,
        DONE
    }

    /** Methods that may be sent again after a failure that might have reached a backend (RFC 9110, 9.2.2). */
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE);

    private final ClientStream client;
    private final ProxyContext context;
    private final HttpRequest request;
    private final RoutingSnapshot snapshot;
    private final ProxyConfig.Upstream upstreamConfig;
    private final long firstByteTimeoutNanos;
    private final long readTimeoutNanos;
    private final long writeTimeoutNanos;
    private final long clientIdleNanos;
    private final long tunnelIdleNanos;
    private final long startNanos = System.nanoTime();
    private final Pool pool;
    private final boolean preview;
    /** The rollback watch this request's outcome feeds, or null. */
    private final RollbackWatch watch;
    /** The client's address as the watch counts it; only looked for while a watch needs it. */
    private final CharSequence clientAddress;
    private final boolean headRequest;
    private final boolean bodyless;
    /** The body comes, and goes upstream, in chunks. */
    private final boolean chunked;
    private final boolean idempotent;
    private final boolean trustedPeer;
    /** The client asked for WebSocket on a connection that can carry a tunnel: a 101 opens one. */
    private final boolean upgrade;
    /** HTTP/1.1 requests carry exactly one Host (ClientRules); an HTTP/1.0 one may lack it, and then gets each backend's. */
    private final boolean hostFromBackend;
    private final long maxBodyBytes;
    private final Attempts attempts;
    /** The access log's view of the request, or null when no line is written for it. */
    private final AccessRequest access;

    private Phase phase = Phase.CONNECTING;
    private Attempt attempt;
    private UpstreamConnection upstream;
    /** Set by a 101, in {@link Phase#TUNNEL}. */
    private Tunnel tunnel;
    /** Body parts that came before the upstream connection. */
    private ArrayDeque<HttpContent> held;
    private long requestBodyBytes;
    private long responseBodyBytes;
    /** The client's request body is all in. */
    private boolean requestReceived;
    /** A 1xx went to the client: from there on, no retry and no answer of our own. */
    private boolean interimSent;
    private int responseStatus;
    private boolean upstreamReusable;

    private long lastUpstreamActivity;
    private long requestSentAt;
    /** When the request head went to the current attempt's backend, and when the first response head came back (0: not yet). */
    private long headSentAt;
    private long firstByteAt;
    private long lastClientActivity;
    /** When the backend stopped taking request bytes, or 0. */
    private long upstreamStalledSince;
    /** When the client stopped taking the answer (its channel went unwritable), or 0. */
    private long clientStalledSince;

    ProxyExchange(ClientStream client, ProxyContext context, HttpRequest request, RoutingSnapshot snapshot,
                  Router.Route route, CharSequence clientIp, CharSequence scheme, boolean trustedPeer, AccessRequest access) {
        this.client = client;
        this.access = access;
        this.context = context;
        this.request = request;
        this.snapshot = snapshot;
        this.upstreamConfig = snapshot.config().upstream();
        this.firstByteTimeoutNanos = upstreamConfig.firstByteTimeout().toNanos();
        this.readTimeoutNanos = upstreamConfig.readTimeout().toNanos();
        this.writeTimeoutNanos = upstreamConfig.writeTimeout().toNanos();
        this.clientIdleNanos = snapshot.config().limits().idleTimeout().toNanos();
        this.tunnelIdleNanos = snapshot.config().limits().tunnelIdleTimeout().toNanos();
        this.pool = route.pool();
        this.preview = route.preview();
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.chunked = HttpUtil.isTransferEncodingChunked(request);
        this.bodyless = !chunked && HttpUtil.getContentLength(request, 0L) == 0;
        this.idempotent = IDEMPOTENT.contains(request.method());
        this.upgrade = client.canTunnel() && WebSocketUpgrade.requested(request);
        this.trustedPeer = trustedPeer;
        this.hostFromBackend = !request.protocolVersion().equals(HttpVersion.HTTP_1_1) && !request.headers().contains(HttpHeaderNames.HOST);
        this.maxBodyBytes = snapshot.config().limits().maxBodyBytes();
        this.attempts = new Attempts(pool, snapshot.config().retry().attempts());
        RollbackWatch w = preview ? null : snapshot.watch().orElse(null);
        // By name: a reload may have rebuilt the pool since the watch began.
        this.watch = w != null && w.pool().name().equals(pool.name()) ? w : null;
        // Before prepareRequest: the X-Forwarded-For to read is the one the trusted peer sent.
        this.clientAddress = watch == null || !trustedPeer ? clientIp
                : ClientAddress.behindTrustedPeer(request.headers(), clientIp, snapshot.config().trustedProxies());
        prepareRequest(clientIp, scheme, trustedPeer);
    }

    private void prepareRequest(CharSequence clientIp, CharSequence scheme, boolean trustedPeer) {
        var headers = request.headers();
        HeaderRules.stripRequestHeaders(headers, snapshot.config().headers().allowUnderscores(), trustedPeer);
        if (upgrade) {
            WebSocketUpgrade.keep(headers);
        }
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        HeaderRules.addForwarded(headers, clientIp, scheme, trustedPeer);
    }

    void start() {
        tryNextBackend();
    }

    /** A new attempt: an idle connection to its backend if this loop has one, else a new connection. */
    private void tryNextBackend() {
        phase = Phase.CONNECTING;
        firstByteAt = 0;
        attempt = attempts.next();
        var backend = attempt.backend();
        if (hostFromBackend) {
            request.headers().set(HttpHeaderNames.HOST, backend.address().toString());
        }
        UpstreamConnection pooled = backend.idle().poll(client.eventLoop());
        if (pooled != null) {
            connected(pooled);
            return;
        }
        context.connector().connect(backend.socketAddress(), backend.idle(), client.eventLoop(), upstreamConfig.connectTimeout())
                .addListener((ChannelFutureListener) this::onConnect);
    }

    /** Whether another backend of the same pool may still be tried: never after a byte of the answer went out, nor after a 101. */
    private boolean mayTryAnother() {
        return !clientSawBytes() && attempts.mayTryAnother();
    }

    /**
     * Gives up the current attempt, noting why, and sends the request to another backend. The next
     * attempt counts itself before this one stops counting, so a drain of the pool never sees the
     * request gone while it moves between backends.
     */
    private void retry(String why) {
        attempts.failed(why);
        Attempt failed = attempt;
        discardUpstream();
        tryNextBackend();
        failed.end();
    }

    private void onConnect(ChannelFuture future) {
        if (future.isSuccess()) {
            context.metrics().connect(attempt.backend(), TurnoutMetrics.ConnectResult.OK);
            connected(UpstreamConnector.connectionOf(future.channel()));
            return;
        }
        Throwable cause = future.cause();
        context.metrics().connect(attempt.backend(), cause instanceof ConnectTimeoutException ? TurnoutMetrics.ConnectResult.TIMEOUT
                : cause instanceof ConnectException ? TurnoutMetrics.ConnectResult.REFUSED : TurnoutMetrics.ConnectResult.ERROR);
        if (phase != Phase.DONE) {
            connectFailed(cause);
        }
    }

    private void connected(UpstreamConnection connection) {
        if (phase == Phase.DONE) {
            // The client went away while we connected: nothing was sent, and nothing needs the connection.
            connection.discard();
            return;
        }
        upstream = connection;
        connection.attach(this, headRequest, !client.takesChunkedBytes());
        // A bodyless request is whole at its head: sent at once, with one flush, on every attempt.
        connection.sendHead(request);
        headSentAt = System.nanoTime();
        if (held != null) {
            HttpContent part;
            while ((part = held.poll()) != null) {
                connection.send(part, chunked);
            }
        }
        connection.flush();
        lastUpstreamActivity = System.nanoTime();
        if (!requestBodyPending()) {
            requestSent(lastUpstreamActivity);
        } else {
            phase = Phase.SENDING;
        }
        // The connection's clock checks this exchange; it only needs moving when our first deadline comes before its tick.
        client.checkWithin(Math.min(clientIdleNanos, Math.min(firstByteTimeoutNanos, writeTimeoutNanos)));
        connection.read();
        if (phase == Phase.SENDING) {
            resumeClientIfUpstreamWritable();
        }
    }

    private void requestSent(long now) {
        phase = Phase.AWAITING_HEAD;
        requestSentAt = now;
    }

    private void connectFailed(Throwable cause) {
        String detail = describe(cause);
        // Nothing reached the backend, so any method may go elsewhere; the backend is out until checks pass again.
        attempt.backend().health().markDown("connect failed: " + detail);
        if (mayTryAnother()) {
            retry(detail);
            return;
        }
        if (attempts.triedAll()) {
            attempts.failed(detail);
            answer(Refusal.serviceUnavailable("no reachable backend (" + attempts.failures() + ")").at(pool.name(), null));
        } else if (cause instanceof ConnectTimeoutException) {
            answer(Refusal.gatewayTimeout(detail).at(pool.name(), attempt.backend().toString()));
        } else {
            answer(Refusal.badGateway(detail).at(pool.name(), attempt.backend().toString()));
        }
    }

    /** A part of the request body from the client; this exchange now owns it. */
    void onClientContent(HttpContent part) {
        if (phase == Phase.DONE) {
            part.release();
            return;
        }
        boolean last = part instanceof LastHttpContent;
        if (last) {
            requestReceived = true;
            HttpHeaders trailers = ((LastHttpContent) part).trailingHeaders();
            if (!trailers.isEmpty()) {
                HeaderRules.stripRequestTrailers(trailers, snapshot.config().headers().allowUnderscores(), trustedPeer);
            }
        }
        requestBodyBytes += part.content().readableBytes();
        lastClientActivity = System.nanoTime();
        if (maxBodyBytes > 0 && requestBodyBytes > maxBodyBytes) {
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
            upstream.send(part, chunked);
            upstream.flush();
            if (!last) {
                resumeClientIfUpstreamWritable();
            } else if (phase == Phase.SENDING) {
                lastUpstreamActivity = System.nanoTime();
                requestSent(lastUpstreamActivity);
            }
        }
        if (last) {
            // One more read notices a client that hangs up while it waits.
            client.readRequest();
        }
    }

    /** Whether the request body (or a tunnel's bytes) is still coming and the backend takes it, so the client connection may read on. */
    boolean wantsRequestBytes() {
        return (requestBodyPending() || (phase == Phase.TUNNEL && tunnel.toBackend())) && upstream != null && upstream.writable();
    }

    private void resumeClientIfUpstreamWritable() {
        if (upstream.writable()) {
            upstreamStalledSince = 0;
            client.readRequest();
        } else if (upstreamStalledSince == 0) {
            upstreamStalledSince = System.nanoTime();
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        // Also once the answer has begun: a backend may answer before it has taken the whole body.
        if (writable && phase != Phase.DONE && upstream != null && (requestBodyPending() || phase == Phase.TUNNEL)) {
            resumeClientIfUpstreamWritable();
        }
    }

    void onClientWritabilityChanged(boolean writable) {
        clientStalledSince = writable ? 0 : System.nanoTime();
        if (writable && upstream != null && (phase == Phase.AWAITING_HEAD || phase == Phase.RELAYING || phase == Phase.TUNNEL)) {
            lastUpstreamActivity = System.nanoTime();
            upstream.read();
        }
    }

    @Override
    public void onResponseHead(ResponseHead head) {
        if (firstByteAt == 0) {
            firstByteAt = System.nanoTime();
        }
        int code = head.status();
        if (code == 101) {
            if (upgrade) {
                openTunnel(head);
            } else {
                // Upgrade was stripped from the request, so a 101 is a backend out of step with us.
                upstreamFailed("unexpected 101 Switching Protocols");
            }
            return;
        }
        if (code == 100) {
            // Turnout answered any Expect itself; a 100 from the backend would be a second one.
            return;
        }
        if (code < 200) {
            interimSent = true;
            client.interim(head);
            return;
        }
        if ((code == 502 || code == 503) && bodyless && idempotent && phase == Phase.AWAITING_HEAD && mayTryAnother()) {
            retry("answered " + code);
            return;
        }
        phase = Phase.RELAYING;
        // The clock may be set for the end of firstByteTimeout; the first gap after the head may end sooner.
        client.checkWithin(readTimeoutNanos);
        responseStatus = code;
        upstreamReusable = head.reusable();
        client.head(head, requestBodyPending());
    }

    /**
     * The backend agreed to WebSocket, the only protocol the request offered it (a server may switch
     * only to one of those, RFC 9110, 7.8): the 101 goes to the client, and from here both
     * connections are one byte tunnel, which stays in flight on the backend until it ends.
     */
    private void openTunnel(ResponseHead head) {
        phase = Phase.TUNNEL;
        responseStatus = 101;
        upstreamReusable = false;
        tunnel = new Tunnel(this, attempt.backend(), client.eventLoop(), context.traffic());
        tunnel.open();
        upstream.tunnel();
        client.tunnel(head);
        client.checkWithin(tunnelIdleNanos);
    }

    @Override
    public void onResponseBody(ByteBuf bytes) {
        responseBodyBytes += bytes.readableBytes();
        if (tunnel != null) {
            tunnel.bytesPassed();
        }
        client.body(bytes);
    }

    /** Bytes the client sent into its tunnel; this exchange now owns them. */
    void onClientBytes(ByteBuf bytes) {
        if (phase != Phase.TUNNEL || !tunnel.toBackend()) {
            bytes.release();
            return;
        }
        requestBodyBytes += bytes.readableBytes();
        tunnel.bytesPassed();
        upstream.forward(bytes);
        upstream.flush();
        resumeClientIfUpstreamWritable();
    }

    /** The client of a tunnel sent its FIN: the backend gets it too, and may still answer. */
    void onClientInputShutdown() {
        if (phase != Phase.TUNNEL) {
            return;
        }
        if (tunnel.clientFinished()) {
            endTunnel();
        } else {
            upstream.shutdownOutput();
        }
    }

    @Override
    public void onUpstreamInputShutdown() {
        if (phase != Phase.TUNNEL) {
            return;
        }
        // A client connection that cannot half-close (TLS) ends with the backend's side.
        if (tunnel.backendFinished() || !client.shutdownOutput()) {
            endTunnel();
        }
    }

    /** A side closed the tunnel, or both sent their FIN: the client gets what is still on its way, then its connection closes. */
    private void endTunnel() {
        finish(ExchangeOutcome.Ending.TUNNELED, responseStatus, false);
        client.abort();
    }

    /** Turnout ends the tunnel itself, both connections at once; {@code error} says why in its access-log line. */
    void closeTunnel(String error) {
        if (phase == Phase.TUNNEL) {
            finish(ExchangeOutcome.Ending.TUNNELED, responseStatus, false, error);
            client.drop();
        }
    }

    @Override
    public void onResponseEnd(HttpHeaders trailers) {
        // The request must have gone out whole for the connection to be in step; a retired pool's connections close as their requests end.
        boolean reusable = upstreamReusable && !requestBodyPending() && !attempt.backend().retired();
        finish(ExchangeOutcome.Ending.RELAYED, responseStatus, reusable);
        client.end(trailers);
    }

    @Override
    public void onResponseInvalid(String reason) {
        if (clientSawBytes()) {
            cutOff();
        } else {
            upstreamFailed(reason);
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        lastUpstreamActivity = System.nanoTime();
        client.flush();
        if (client.writable()) {
            upstream.read();
        }
    }

    @Override
    public void onUpstreamClosed(Throwable cause) {
        UpstreamConnection closed = upstream;
        upstream = null;
        if (phase == Phase.DONE) {
            return;
        }
        if (phase == Phase.TUNNEL) {
            endTunnel();
            return;
        }
        if (clientSawBytes()) {
            // A backend that dies mid-answer is down: no new request goes there until checks pass again.
            attempt.backend().health().markDown("connection lost mid-response");
            cutOff();
            return;
        }
        String detail = cause == null ? "backend closed the connection before responding" : describe(cause);
        if (closed != null && closed.requests() == 1) {
            // On a reused connection this may be the backend's keep-alive timeout racing us; on a fresh one, it is the backend.
            attempt.backend().health().markDown(detail);
        }
        // The request may have reached the backend: only a bodyless idempotent request may go elsewhere.
        if (bodyless && idempotent && mayTryAnother()) {
            retry(detail);
        } else {
            upstreamFailed(detail);
        }
    }

    /** The client hung up before its answer ended, or closed its tunnel, which is how a tunnel ends well. */
    void onClientClosed() {
        if (phase == Phase.TUNNEL) {
            finish(ExchangeOutcome.Ending.TUNNELED, responseStatus, false);
        } else if (phase != Phase.DONE) {
            finish(ExchangeOutcome.Ending.CLIENT_GONE, 0, false);
        }
    }

    /**
     * Called by the client connection's clock: ends the exchange if the timeout of its phase passed,
     * and says how long until it could. One timer per connection instead of one per request.
     *
     * @return nanoseconds until this exchange needs checking again, or Long.MAX_VALUE
     */
    long checkTimeouts(long now) {
        return switch (phase) {
            case CONNECTING, DONE -> Long.MAX_VALUE;
            case SENDING -> checkSending(now);
            case AWAITING_HEAD -> checkAwaitingHead(now);
            case RELAYING -> checkRelaying(now);
            case TUNNEL -> checkTunnel(now);
        };
    }

    private long checkTunnel(long now) {
        long silent = tunnel.silentFor(now);
        if (silent >= tunnelIdleNanos) {
            closeTunnel(Tunnel.IDLE);
            return Long.MAX_VALUE;
        }
        return tunnelIdleNanos - silent;
    }

    private long checkSending(long now) {
        if (upstreamStalledSince != 0) {
            long stalled = now - upstreamStalledSince;
            if (stalled >= writeTimeoutNanos) {
                timedOut("backend accepted no request bytes for " + Durations.format(upstreamConfig.writeTimeout()));
                return Long.MAX_VALUE;
            }
            return writeTimeoutNanos - stalled;
        }
        return checkClientBody(now);
    }

    /** Waiting for the client's body: a client silent that long mid-request is gone or hostile. */
    private long checkClientBody(long now) {
        long silent = now - Math.max(lastClientActivity, lastUpstreamActivity);
        if (silent >= clientIdleNanos) {
            clientTimedOut();
            return Long.MAX_VALUE;
        }
        return Math.min(clientIdleNanos - silent, writeTimeoutNanos);
    }

    private long checkAwaitingHead(long now) {
        // The whole head, not each of its bytes: a backend dripping it cannot hold the request longer.
        long waited = now - requestSentAt;
        if (waited >= firstByteTimeoutNanos) {
            timedOut("no complete response head within " + Durations.format(upstreamConfig.firstByteTimeout()) + " (firstByteTimeout)");
            return Long.MAX_VALUE;
        }
        return firstByteTimeoutNanos - waited;
    }

    private long checkRelaying(long now) {
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
            cutOff();
            return Long.MAX_VALUE;
        }
        long next = readTimeoutNanos - silent;
        // The backend answered before the request body was all in: the client's silence still counts.
        return requestBodyPending() ? Math.min(next, checkClientBody(now)) : next;
    }

    private void clientTimedOut() {
        if (clientSawBytes()) {
            clientGone();
        } else {
            answer(Refusal.requestTimeout("request body stalled for " + Durations.format(snapshot.config().limits().idleTimeout()))
                    .at(pool.name(), null));
        }
    }

    private void timedOut(String detail) {
        if (clientSawBytes()) {
            cutOff();
        } else {
            answer(Refusal.gatewayTimeout(detail).at(pool.name(), attempt.backend().toString()));
        }
    }

    /** A chunked body grew past limits.maxBodyBytes while it streamed. */
    private void tooLarge() {
        if (clientSawBytes()) {
            cutOff();
        } else {
            // The backend got part of a body it will never see the end of: its connection goes, and so does the client's.
            answer(ClientRules.tooLarge(maxBodyBytes).at(pool.name(), null));
        }
    }

    private void upstreamFailed(String detail) {
        answer(Refusal.badGateway(detail).at(pool.name(), attempt.backend().toString()));
    }

    /** The request body is not all in yet: nothing may follow this exchange on the client's connection. */
    private boolean requestBodyPending() {
        return !bodyless && !requestReceived;
    }

    /** Whether a byte of the answer went to the client, so that nothing else may be written there. */
    boolean answerBegan() {
        return clientSawBytes();
    }

    private boolean clientSawBytes() {
        return interimSent || phase == Phase.RELAYING || phase == Phase.TUNNEL;
    }

    /** Answers in the backend's place; only possible before any byte of a response went out. */
    private void answer(Refusal refusal) {
        if (!refusal.clientsFault()) {
            context.ownErrors().warn("answered {} {} to {} {} from {}: pool {}, backend {}: {} (request id {})",
                    refusal.status().code(), refusal.error(), request.method(), pathOf(request.uri()), clientAddress,
                    refusal.pool(), refusal.backend() == null ? "none" : refusal.backend(), refusal.detail(),
                    request.headers().get(RequestIds.HEADER));
        }
        finish(refusal.clientsFault() ? ExchangeOutcome.Ending.ANSWERED_FOR_CLIENT : ExchangeOutcome.Ending.ANSWERED_FOR_POOL,
                refusal.status().code(), false, refusal.error());
        client.answer(refusal, requestBodyPending());
    }

    /** The target's path, without the query (which may carry a key) and at most 200 characters, for a log line. */
    private static String pathOf(String uri) {
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        return path.length() <= 200 ? path : path.substring(0, 200) + "...";
    }

    /** The client stalled mid-exchange, after its answer began: its connection closes at once, and the pool is not to blame. */
    private void clientGone() {
        finish(ExchangeOutcome.Ending.CLIENT_GONE, responseStatus, false);
        client.drop();
    }

    /** The response broke after it began: the client must see a truncated answer, so its connection closes. */
    private void cutOff() {
        finish(ExchangeOutcome.Ending.CUT_OFF, responseStatus, false);
        client.abort();
    }

    private void discardUpstream() {
        if (upstream != null) {
            upstream.discard();
            upstream = null;
        }
    }

    /**
     * The one end of an exchange, whatever ended it: the upstream connection goes back to its idle
     * pool ({@code reuseUpstream}) or is closed, the attempt stops counting, held parts are released
     * and the outcome is recorded. The caller then tells the client stream how the answer ended.
     */
    private void finish(ExchangeOutcome.Ending ending, int status, boolean reuseUpstream) {
        finish(ending, status, reuseUpstream, null);
    }

    /** @param error the error code of Turnout's own answer, or why it closed a tunnel; null otherwise */
    private void finish(ExchangeOutcome.Ending ending, int status, boolean reuseUpstream, String error) {
        phase = Phase.DONE;
        if (tunnel != null) {
            tunnel.close();
        }
        if (reuseUpstream) {
            upstream.release(true, upstreamConfig.keepalive().maxRequestsPerConnection());
            upstream = null;
        } else {
            discardUpstream();
        }
        attempt.end();
        releaseHeld();
        long now = System.nanoTime();
        context.outcomes().record(new ExchangeOutcome(pool, attempt.backend(), preview, ending, status, now - startNanos,
                firstByteAt == 0 ? -1 : firstByteAt - headSentAt, attempts.count(), responseBodyBytes, watch, clientAddress,
                access, requestBodyBytes, snapshot.generation(), error));
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
            return "cannot resolve host " + attempt.backend().address().host();
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }
}
