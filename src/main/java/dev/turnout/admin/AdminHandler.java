package dev.turnout.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.base.JsonResponse;
import dev.turnout.base.Lifecycle;
import dev.turnout.base.LogLimit;
import dev.turnout.metrics.TurnoutMetrics;
import dev.turnout.proxy.Http2Abuse;
import dev.turnout.proxy.ServerTls;
import dev.turnout.routing.TrafficSwitch;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes of the admin listener. Switch work goes to the admin executor; the event loop only parses
 * and writes. A connection handles one request at a time: the next is read once the answer before
 * it is written, so pipelined calls are answered in order.
 */
final class AdminHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrafficSwitch traffic;
    private final SwitchService switches;
    private final ConfigReloader reloader;
    /** Present with an HTTPS listener: its certificates are listed in the status. */
    private final Optional<ServerTls> tls;
    private final Http2Abuse http2;
    private final TurnoutMetrics metrics;
    private final Lifecycle lifecycle;
    /** The INFO lines of requests refused with 401 or 403, shared by every admin connection. */
    private final LogLimit unauthorized;
    private final EventStreams events;
    /** Touched on the connection's event loop only. */
    private Phase phase = Phase.AWAITING_REQUEST;

    /**
     * The idle timeout may close a connection only while it waits for its next request. A connection
     * that became an event stream stays one until it closes; it is read (so that its client's
     * hang-up is seen at once), and a further request ends it.
     */
    private enum Phase { AWAITING_REQUEST, ANSWERING, STREAMING }

    AdminHandler(TrafficSwitch traffic, SwitchService switches, ConfigReloader reloader, Optional<ServerTls> tls, Http2Abuse http2,
                 TurnoutMetrics metrics, Lifecycle lifecycle, LogLimit unauthorized, EventStreams events) {
        this.traffic = traffic;
        this.switches = switches;
        this.reloader = reloader;
        this.tls = tls;
        this.http2 = http2;
        this.metrics = metrics;
        this.lifecycle = lifecycle;
        this.unauthorized = unauthorized;
        this.events = events;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.STREAMING) {
            // A stream answers no further request: rather than leave one waiting, end the connection.
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        phase = Phase.ANSWERING;
        if (msg == AdminBodyLimit.TooLarge.REQUEST) {
            log.info("admin request from {} refused with 413: body over {} bytes", peer(ctx), AdminBodyLimit.MAX_BODY);
            respond(ctx, false, error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                    "an admin request body may have at most " + AdminBodyLimit.MAX_BODY + " bytes"));
            return;
        }
        FullHttpRequest request = (FullHttpRequest) msg;
        try {
            route(ctx, request);
        } finally {
            request.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // A read that brought part of a request, or none: ask for the rest.
        if (phase != Phase.ANSWERING) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (phase == Phase.AWAITING_REQUEST) {
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            respond(ctx, false, error(HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed request"));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        Map<String, List<String>> query = uri.parameters();
        String by = peer(ctx);
        boolean wait = !"false".equals(first(query, "wait").orElse("true"));
        boolean force = "true".equals(first(query, "force").orElse("false"));
        Optional<String> foreign = BrowserGuard.refusal(request.method(), request.headers(),
                traffic.current().config().admin().token().isPresent());
        if (foreign.isPresent()) {
            unauthorized.info("admin request {} {} from {} refused with 403: {}", request.method(), uri.path(), by, foreign.get());
            respond(ctx, keepAlive, error(HttpResponseStatus.FORBIDDEN, "forbidden", foreign.get()));
            return;
        }
        // Metrics name the pools and backends: they need the token as the admin API does.
        if ((uri.path().startsWith("/admin/") || uri.path().equals("/metrics")) && !authorized(request)) {
            // The token presented, if any, is never logged: a near miss would give most of the real one away.
            unauthorized.info("admin request {} {} from {} refused with 401: {}", request.method(), uri.path(), by,
                    request.headers().contains(HttpHeaderNames.AUTHORIZATION) ? "wrong token" : "no token");
            FullHttpResponse denied = error(HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                    "this admin API needs \"Authorization: Bearer <admin.token>\"");
            denied.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"turnout\"");
            respond(ctx, keepAlive, denied);
            return;
        }
        switch (uri.path()) {
            case "/health" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.GET, HttpMethod.HEAD)) {
                    // While stopping, the orchestrator is told to send no more traffic here.
                    respond(ctx, keepAlive, JsonResponse.health(lifecycle.stopping()));
                }
            }
            case "/metrics" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.GET, HttpMethod.HEAD)) {
                    String accept = request.headers().get(HttpHeaderNames.ACCEPT);
                    FullHttpResponse scraped = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.copiedBuffer(metrics.scrape(accept), StandardCharsets.UTF_8));
                    scraped.headers().set(HttpHeaderNames.CONTENT_TYPE, TurnoutMetrics.contentType(accept))
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, scraped.content().readableBytes());
                    respond(ctx, keepAlive, scraped);
                }
            }
            case "/admin/reload" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.POST)) {
                    reloader.reload().whenComplete((r, e) -> respond(ctx, keepAlive, e != null
                            ? error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error", e.toString())
                            : r.applied() ? ok(r) : json(HttpResponseStatus.UNPROCESSABLE_ENTITY, r)));
                }
            }
            case "/admin/status" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.GET, HttpMethod.HEAD)) {
                    ObjectNode status = StatusView.of(traffic.current(), tls.map(ServerTls::status), http2.counts(), JSON);
                    switches.cluster().ifPresent(node -> status.set("cluster", ClusterView.status(node, JSON)));
                    respond(ctx, keepAlive, ok(status));
                }
            }
            case "/admin/cluster" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.GET, HttpMethod.HEAD)) {
                    if (switches.cluster().isEmpty()) {
                        respond(ctx, keepAlive, error(HttpResponseStatus.NOT_FOUND, "not_clustered",
                                "this Turnout has no cluster section in its config"));
                    } else {
                        ClusterView.replicas(switches.cluster().get(), traffic.current(), JSON).whenComplete((body, failure) ->
                                respond(ctx, keepAlive, failure == null ? ok(body)
                                        : error(HttpResponseStatus.SERVICE_UNAVAILABLE, "cluster_unavailable",
                                                "etcd does not answer: " + failure.getMessage())));
                    }
                }
            }
            case "/admin/events" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.GET)) {
                    if (events.open(ctx, request.protocolVersion())) {
                        phase = Phase.STREAMING;
                        ctx.read();
                    } else {
                        respond(ctx, keepAlive, error(HttpResponseStatus.SERVICE_UNAVAILABLE, "too_many_streams",
                                EventStreams.MAX_STREAMS + " event streams are open already"));
                    }
                }
            }
            case "/admin/history" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.GET, HttpMethod.HEAD)) {
                    respond(ctx, keepAlive, ok(switches.history().records()));
                }
            }
            case "/admin/switch" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.POST)) {
                    answerLater(ctx, keepAlive, switches.switchTo(first(query, "to"), by, wait, force));
                }
            }
            case "/admin/rollback" -> {
                if (allowed(ctx, keepAlive, request.method(), HttpMethod.POST)) {
                    answerLater(ctx, keepAlive, switches.rollback(by, wait, force));
                }
            }
            default -> {
                if (!DashboardFiles.has(uri.path())) {
                    respond(ctx, keepAlive, error(HttpResponseStatus.NOT_FOUND, "not_found", "no admin route " + uri.path()));
                } else if (allowed(ctx, keepAlive, request.method(), HttpMethod.GET, HttpMethod.HEAD)) {
                    respond(ctx, keepAlive, DashboardFiles.answer(uri.path()));
                }
            }
        }
    }

    /** True without a configured token; else the bearer token must match, compared in constant time. */
    private boolean authorized(FullHttpRequest request) {
        Optional<String> token = traffic.current().config().admin().token();
        if (token.isEmpty()) {
            return true;
        }
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        return MessageDigest.isEqual(sha256(presented), sha256(token.get()));
    }

    private static byte[] sha256(String s) {
        try {
            // Digests have one length, so comparing them reveals nothing about the token's length either.
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private boolean allowed(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method, HttpMethod... allowed) {
        for (HttpMethod m : allowed) {
            if (m.equals(method)) {
                return true;
            }
        }
        String allow = java.util.Arrays.stream(allowed).map(HttpMethod::name).collect(java.util.stream.Collectors.joining(", "));
        FullHttpResponse response = error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                method + " is not allowed here (allowed: " + allow + ")");
        response.headers().set(HttpHeaderNames.ALLOW, allow);
        respond(ctx, keepAlive, response);
        return false;
    }

    private void answerLater(ChannelHandlerContext ctx, boolean keepAlive, CompletableFuture<SwitchResult> result) {
        result.whenComplete((r, failure) -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause == null) {
                respond(ctx, keepAlive, ok(r));
            } else if (cause instanceof SwitchRefused refused) {
                respond(ctx, keepAlive, json(refused.status, refused.body));
            } else {
                log.error("switch failed", cause);
                respond(ctx, keepAlive, error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error", cause.toString()));
            }
        });
    }

    private static String peer(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
    }

    private static Optional<String> first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    private static FullHttpResponse ok(Object body) {
        return json(HttpResponseStatus.OK, body);
    }

    static FullHttpResponse error(HttpResponseStatus status, String error, String detail) {
        return json(status, JSON.createObjectNode().put("error", error).put("detail", detail));
    }

    private static FullHttpResponse json(HttpResponseStatus status, Object body) {
        try {
            return JsonResponse.of(status, JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** From any thread; the connection reads its next request once this answer is written. */
    private void respond(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) written -> {
            if (keepAlive && written.isSuccess()) {
                phase = Phase.AWAITING_REQUEST;
                ctx.read();
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A client hanging up in the middle of its request body is not Turnout's failure.
        if (!(cause instanceof java.io.IOException) && !(cause instanceof PrematureChannelClosureException)) {
            log.error("unexpected failure on an admin connection", cause);
        }
        ctx.close();
    }
}
