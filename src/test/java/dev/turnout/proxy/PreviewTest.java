package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import org.junit.jupiter.api.Test;

class PreviewTest extends BlueGreenTest {


    @Test
    void theHeaderRoutesToTheNamedPoolAndIsNotForwarded() throws Exception {
        try (ProxyHarness proxy = startProxy("preview: { header: X-Environment }\n");
             RawHttp client = proxy.client()) {
            RawHttp.Response r = client.get("/v1/models", "X-Environment: green");
            JsonNode echo = ProxyHarness.json(r);
            assertThat(echo.get("name").asText()).isEqualTo("green");
            assertThat(echo.get("headers").has("x-environment")).isFalse();
            assertThat(ProxyHarness.json(client.get("/v1/models")).get("name").asText()).isEqualTo("blue");

            RawHttp.Response unknown = client.get("/", "X-Environment: gren");
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(ProxyHarness.json(unknown).get("error").asText()).isEqualTo("unknown_pool");
        }
    }

    @Test
    void thePathPrefixRoutesToTheNamedPoolWithThePrefixRemoved() throws Exception {
        try (ProxyHarness proxy = startProxy("preview: { header: none, pathPrefix: true }\n");
             RawHttp client = proxy.client()) {
            JsonNode echo = ProxyHarness.json(client.get("/green/v1/models?limit=2"));
            assertThat(echo.get("name").asText()).isEqualTo("green");
            assertThat(echo.get("uri").asText()).isEqualTo("/v1/models?limit=2");
            assertThat(ProxyHarness.json(client.get("/green")).get("uri").asText()).isEqualTo("/");
            assertThat(ProxyHarness.json(client.get("/green?x=1")).get("uri").asText()).isEqualTo("/?x=1");
            JsonNode notAPrefix = ProxyHarness.json(client.get("/greenhouse/x"));
            assertThat(notAPrefix.get("name").asText()).isEqualTo("blue");
            assertThat(notAPrefix.get("uri").asText()).isEqualTo("/greenhouse/x");
            // The header is not in use: it reaches the backend like any other.
            assertThat(ProxyHarness.json(client.get("/", "X-Environment: green")).get("name").asText()).isEqualTo("blue");
        }
    }

    @Test
    void previewIsOffUnlessConfigured() throws Exception {
        try (ProxyHarness proxy = startProxy("");
             RawHttp client = proxy.client()) {
            JsonNode echo = ProxyHarness.json(client.get("/green/x", "X-Environment: green"));
            assertThat(echo.get("name").asText()).isEqualTo("blue");
            assertThat(echo.get("uri").asText()).isEqualTo("/green/x");
        }
    }
}
