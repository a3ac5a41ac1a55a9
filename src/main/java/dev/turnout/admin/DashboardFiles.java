package dev.turnout.admin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The dashboard, {@code GET /} on the admin listener: a page, its script and its style, shipped in
 * the jar and read once. They hold no data (the script asks the admin API, with the token when one
 * is set), so they are served without the token. The script is a file of its own so that the
 * policy can forbid every inline script: a value that ever slipped into the page as markup could
 * not run.
 */
final class DashboardFiles {

    private record File(byte[] bytes, String contentType) {}

    private static final Map<String, File> FILES = Map.of(
            "/", read("index.html", "text/html; charset=utf-8"),
            "/dashboard.js", read("dashboard.js", "text/javascript; charset=utf-8"),
            "/dashboard.css", read("dashboard.css", "text/css; charset=utf-8"));

    /** Scripts, styles and calls from this origin only; no frames around it (its buttons move traffic). */
    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private DashboardFiles() {}

    static boolean has(String path) {
        return FILES.containsKey(path);
    }

    /** The file at {@code path}, which {@link #has} it. */
    static FullHttpResponse answer(String path) {
        File file = FILES.get(path);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(file.bytes()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, file.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, file.bytes().length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, POLICY)
                .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY")
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer");
        return response;
    }

    private static File read(String name, String contentType) {
        try (InputStream in = DashboardFiles.class.getResourceAsStream("dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks the dashboard's " + name);
            }
            return new File(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
