package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/** Which requests are WebSocket handshakes, whose Upgrade and Connection headers cross the proxy. */
class WebSocketUpgradeTest {

    @Test
    void anHttp11GetWithoutABodyAskingForWebSocketIsAHandshakeInAnyCaseAndBesideOtherTokens() {
        assertThat(WebSocketUpgrade.requested(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "websocket"))).isTrue();
        assertThat(WebSocketUpgrade.requested(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "keep-alive, UPGRADE", "WebSocket")))
                .isTrue();
        assertThat(WebSocketUpgrade.requested(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "upgrade", "websocket, foo/2"))).isTrue();
    }

    @Test
    void anythingElseIsAPlainRequest() {
        assertThat(WebSocketUpgrade.requested(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "h2c"))).isFalse();
        assertThat(WebSocketUpgrade.requested(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "keep-alive", "websocket"))).isFalse();
        assertThat(WebSocketUpgrade.requested(request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", null))).isFalse();
        assertThat(WebSocketUpgrade.requested(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "Upgrade", "websocket"))).isFalse();
        assertThat(WebSocketUpgrade.requested(request(HttpVersion.HTTP_1_1, HttpMethod.POST, "Upgrade", "websocket"))).isFalse();
        HttpRequest withBody = request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "websocket");
        withBody.headers().set("Content-Length", "2");
        assertThat(WebSocketUpgrade.requested(withBody)).isFalse();
        HttpRequest chunked = request(HttpVersion.HTTP_1_1, HttpMethod.GET, "Upgrade", "websocket");
        chunked.headers().set("Transfer-Encoding", "chunked");
        assertThat(WebSocketUpgrade.requested(chunked)).isFalse();
    }

    @Test
    void theBackendIsAskedForWebSocketAlone() {
        HttpHeaders headers = new DefaultHttpHeaders();
        WebSocketUpgrade.keep(headers);
        assertThat(headers.get("Connection")).isEqualTo("upgrade");
        assertThat(headers.get("Upgrade")).isEqualTo("websocket");
    }

    private static HttpRequest request(HttpVersion version, HttpMethod method, String connection, String upgrade) {
        HttpRequest request = new DefaultHttpRequest(version, method, "/ws");
        request.headers().set("Connection", connection);
        if (upgrade != null) {
            request.headers().set("Upgrade", upgrade);
        }
        return request;
    }
}
