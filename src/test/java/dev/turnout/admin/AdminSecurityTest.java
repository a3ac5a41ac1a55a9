package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ConfigLoader;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminSecurityTest {

    @TempDir
    Path dir;

    private static RawHttp.Response call(ProxyHarness proxy, String method, String path, String... headers) throws Exception {
        try (RawHttp http = RawHttp.connect(proxy.admin())) {
            StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n");
            for (String h : headers) {
                request.append(h).append("\r\n");
            }
            http.send(request.append("\r\n").toString());
            return http.read(false);
        }
    }

    @Test
    void withATokenEveryAdminCallNeedsItButHealthStaysOpen() throws Exception {
        try (TestOrigin blue = TestOrigin.start("blue"); TestOrigin green = TestOrigin.start("green");
             ProxyHarness proxy = ProxyHarness.start(dir, "admin: { listen: 127.0.0.1:0, token: s3cret-token }\n"
                     + ProxyHarness.twoPools(blue, green))) {
            RawHttp.Response missing = call(proxy, "POST", "/admin/switch");
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.header("WWW-Authenticate")).contains("Bearer realm=\"turnout\"");
            assertThat(new ObjectMapper().readTree(missing.body()).get("error").asText()).isEqualTo("unauthorized");
            assertThat(call(proxy, "GET", "/admin/status", "Authorization: Bearer wrong").status()).isEqualTo(401);
            assertThat(call(proxy, "GET", "/admin/status", "Authorization: Bearer s3cret-token-and-more").status()).isEqualTo(401);
            assertThat(call(proxy, "GET", "/admin/status", "Authorization: Basic czNjcmV0LXRva2Vu").status()).isEqualTo(401);
            assertThat(proxy.server().traffic().current().active().name()).isEqualTo("blue");

            assertThat(call(proxy, "GET", "/admin/status", "Authorization: Bearer s3cret-token").status()).isEqualTo(200);
            assertThat(call(proxy, "POST", "/admin/switch", "Authorization: bearer s3cret-token").status()).isEqualTo(200);
            assertThat(call(proxy, "GET", "/health").status()).isEqualTo(200);
        }
    }

    @Test
    void aNonLoopbackAdminListenerWithoutATokenIsRefused() throws Exception {
        String yaml = "admin: { listen: 0.0.0.0:9090 }\npools:\n  blue: { backends: [\"127.0.0.1:1\"] }\n  green: { backends: [\"127.0.0.1:2\"] }\n";
        ConfigException e = Assertions.catchThrowableOfType(ConfigException.class,
                () -> new ConfigLoader(name -> null).parse(yaml, "proxy.yaml"));
        assertThat(e.problems()).containsExactly("admin.listen: \"0.0.0.0:9090\" is reachable from other hosts, so admin.token "
                + "must be set (expected: token: ${TURNOUT_ADMIN_TOKEN}, or listen on 127.0.0.1)");
        String withToken = "admin:\n  listen: 0.0.0.0:9090\n  token: ${TURNOUT_ADMIN_TOKEN}\n"
                + "pools:\n  blue: { backends: [\"127.0.0.1:1\"] }\n  green: { backends: [\"127.0.0.1:2\"] }\n";
        assertThat(new ConfigLoader(Map.of("TURNOUT_ADMIN_TOKEN", "t0k3n")::get).parse(withToken, "proxy.yaml").admin().token())
                .contains("t0k3n");
        Assertions.assertThatThrownBy(() -> new ConfigLoader(name -> null).parse(withToken, "proxy.yaml"))
                .isInstanceOf(ConfigException.class);
    }
}
