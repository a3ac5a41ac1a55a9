package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import org.junit.jupiter.api.Test;

/** The dashboard's files, and what keeps other web pages from using the admin API through a browser. */
class DashboardFilesTest extends BlueGreenTest {

    private static RawHttp.Response call(ProxyHarness proxy, String method, String path, String... headerLines) throws Exception {
        try (RawHttp admin = RawHttp.connect(proxy.admin())) {
            StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
            boolean host = false;
            for (String line : headerLines) {
                request.append(line).append("\r\n");
                host |= line.regionMatches(true, 0, "Host:", 0, 5);
            }
            if (!host) {
                request.append("Host: 127.0.0.1:").append(proxy.admin().getPort()).append("\r\n");
            }
            admin.send(request.append("Content-Length: 0\r\n\r\n").toString());
            return admin.read(method.equals("HEAD"));
        }
    }

    @Test
    void thePageItsScriptAndStyleAreServedWithAStrictPolicyAndNoToken() throws Exception {
        try (ProxyHarness proxy = startProxy("admin: { listen: 127.0.0.1:0, token: s3cret-token }\n")) {
            RawHttp.Response page = call(proxy, "GET", "/");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.header("Content-Type")).contains("text/html; charset=utf-8");
            assertThat(page.text()).contains("data-testid=\"active-pool\"", "<script src=\"/dashboard.js\" defer></script>");
            assertThat(page.header("Content-Security-Policy")).hasValueSatisfying(p -> assertThat(p)
                    .contains("script-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe-inline"));
            assertThat(page.header("X-Frame-Options")).contains("DENY");
            assertThat(call(proxy, "GET", "/dashboard.js").header("Content-Type")).contains("text/javascript; charset=utf-8");
            assertThat(call(proxy, "GET", "/dashboard.css").header("Content-Type")).contains("text/css; charset=utf-8");
            assertThat(call(proxy, "HEAD", "/").status()).isEqualTo(200);
            assertThat(call(proxy, "POST", "/").status()).isEqualTo(405);
            assertThat(call(proxy, "GET", "/dashboard.html").status()).isEqualTo(404);
            // The data behind the page still needs the token.
            assertThat(call(proxy, "GET", "/admin/status").status()).isEqualTo(401);
        }
    }

    @Test
    void aCallFromAnotherOriginMayNotSwitch() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            RawHttp.Response refused = call(proxy, "POST", "/admin/switch", "Origin: http://evil.example");
            assertThat(refused.status()).isEqualTo(403);
            assertThat(ProxyHarness.json(refused).path("error").asText()).isEqualTo("forbidden");
            assertThat(call(proxy, "POST", "/admin/switch", "Sec-Fetch-Site: cross-site").status()).isEqualTo(403);
            // Another site's page may link to the dashboard, not open event streams or read the API.
            assertThat(call(proxy, "GET", "/admin/events", "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors").status())
                    .isEqualTo(403);
            assertThat(call(proxy, "GET", "/", "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate").status()).isEqualTo(200);
            assertThat(proxy.server().traffic().current().active().name()).isEqualTo("blue");

            String self = "http://127.0.0.1:" + proxy.admin().getPort();
            assertThat(call(proxy, "POST", "/admin/switch", "Origin: " + self).status()).isEqualTo(200);
            assertThat(proxy.server().traffic().current().active().name()).isEqualTo("green");
            // Reading is not changing: a cross-origin GET cannot read the answer anyway (no CORS headers).
            assertThat(call(proxy, "GET", "/admin/status", "Origin: http://evil.example").status()).isEqualTo(200);
        }
    }

    @Test
    void withoutATokenADomainNameIsNotAnsweredSoARebindingNameCannotRead() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            RawHttp.Response refused = call(proxy, "GET", "/admin/status", "Host: rebind.evil.example:9090");
            assertThat(refused.status()).isEqualTo(403);
            assertThat(ProxyHarness.json(refused).path("detail").asText())
                    .isEqualTo("without admin.token, the admin API does not answer requests for a domain name "
                            + "(Host: rebind.evil.example:9090); use an IP address, localhost, or set admin.token");
            assertThat(call(proxy, "POST", "/admin/switch", "Host: rebind.evil.example").status()).isEqualTo(403);
            assertThat(proxy.server().traffic().current().active().name()).isEqualTo("blue");
            for (String host : new String[] {"localhost:9090", "[::1]:9090", "127.0.0.2", "admin", "app.localhost:9090"}) {
                assertThat(call(proxy, "GET", "/admin/status", "Host: " + host).status()).as(host).isEqualTo(200);
            }
        }
        try (ProxyHarness proxy = startProxy("admin: { listen: 127.0.0.1:0, token: s3cret-token }\n")) {
            // With a token, the token is the protection: any name may reach the admin API.
            assertThat(call(proxy, "GET", "/admin/status", "Host: turnout.internal.example", "Authorization: Bearer s3cret-token")
                    .status()).isEqualTo(200);
        }
    }
}
