package dev.turnout.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.LogCapture;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTPS listener over real sockets and real TLS, with certificates made for each test by a test CA. */
class TlsTest extends BlueGreenTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private KeyPair caKeys;
    private X509Certificate ca;
    private SSLContext trusting;
    private TrustManagerFactory trustTheCa;
    private ProxyHarness proxy;

    @BeforeEach
    void makeCertificates() throws Exception {
        caKeys = newKeys();
        ca = sign(new X500Name("CN=Turnout Test CA"), caKeys, List.of(), true);
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        trustTheCa = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustTheCa.init(trust);
        trusting = trustingContext();
        writeCertificate("a", "CN=a.turnout.test", List.of(new GeneralName(GeneralName.dNSName, "a.turnout.test"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        writeCertificate("b", "CN=b.turnout.test", List.of(new GeneralName(GeneralName.dNSName, "b.turnout.test")));
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private void start(String tlsKeys) throws Exception {
        proxy = startProxy(tlsSection(tlsKeys));
    }

    private String tlsSection(String tlsKeys) {
        return "tls:\n"
                + "  listen: 127.0.0.1:0\n"
                + "  certificates:\n"
                + "    - { cert: " + dir.resolve("a.crt") + ", key: " + dir.resolve("a.key") + " }\n"
                + "    - { cert: " + dir.resolve("b.crt") + ", key: " + dir.resolve("b.key") + " }\n"
                + tlsKeys;
    }

    private InetSocketAddress https() {
        return proxy.server().tlsAddress().orElseThrow();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_1_1).build();
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + https().getPort() + path)).timeout(Duration.ofSeconds(20));
    }

    @Test
    void anHttpsRequestReachesTheActivePoolAsHttpsAndAFlipMovesTheNextOne() throws Exception {
        start("");
        HttpResponse<String> first = send(get("/hello"));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        JsonNode seen = JSON.readTree(first.body());
        assertThat(seen.get("name").asText()).isEqualTo("blue");
        assertThat(seen.get("headers").get("x-forwarded-proto").get(0).asText()).isEqualTo("https");
        // Without tls.hsts no header is added.
        assertThat(first.headers().firstValue("strict-transport-security")).isEmpty();

        assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(200);
        assertThat(JSON.readTree(send(get("/hello")).body()).get("name").asText()).isEqualTo("green");
    }

    @Test
    void aClientClaimingHttpsOverPlainHttpIsCorrected() throws Exception {
        start("");
        try (RawHttp client = proxy.client()) {
            JsonNode seen = ProxyHarness.json(client.get("/", "X-Forwarded-Proto: https"));
            assertThat(seen.get("headers").get("x-forwarded-proto").get(0).asText()).isEqualTo("http");
        }
    }

    @Test
    void aGracefulStopClosesTheHttpsListenerAndIdleConnectionsAndFinishesStreams() throws Exception {
        start("");
        try (RawHttp idle = RawHttp.over(connect("a.turnout.test", null, null));
             RawHttp stream = RawHttp.over(connect("a.turnout.test", null, null))) {
            assertThat(idle.get("/").status()).isEqualTo(200);
            stream.send("GET /stream?chunks=2&intervalMs=1&gated=true HTTP/1.1\r\nHost: t\r\n\r\n");
            stream.readHead();
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 1\n\n");

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> proxy.server().stopGracefully());
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/health").status()).isEqualTo(503));
            assertThat(idle.closedByPeer()).isTrue();
            assertThatThrownBy(() -> connect("a.turnout.test", null, null).startHandshake()).isInstanceOf(IOException.class);
            assertThat(stopping).isNotDone();

            blue.allowChunks(5);
            assertThat(new String(stream.readChunk(), StandardCharsets.UTF_8)).isEqualTo("data: blue 2\n\n");
            assertThat(stream.readChunk()).isNull();
            stopping.get(30, TimeUnit.SECONDS);
            // The stop closed everything; there is nothing left for stopProxy to close.
            proxy = null;
        }
    }

    @Test
    void sniPicksTheCertificateByNameAndTheFirstIsTheDefault() throws Exception {
        start("");
        assertThat(peerSubject("b.turnout.test")).isEqualTo("CN=b.turnout.test");
        assertThat(peerSubject("a.turnout.test")).isEqualTo("CN=a.turnout.test");
        assertThat(peerSubject("unknown.turnout.test")).isEqualTo("CN=a.turnout.test");
        assertThat(peerSubject(null)).isEqualTo("CN=a.turnout.test");
    }

    @Test
    void aReloadServesReplacedCertificatesToNewHandshakesAndOpenConnectionsKeepWorking() throws Exception {
        start("");
        try (SSLSocket before = connect("a.turnout.test", null, null); RawHttp open = RawHttp.over(before)) {
            assertThat(open.get("/").status()).isEqualTo(200);
            BigInteger servedBefore = ((X509Certificate) before.getSession().getPeerCertificates()[0]).getSerialNumber();

            writeCertificate("a", "CN=renewed.a.turnout.test", List.of(new GeneralName(GeneralName.dNSName, "a.turnout.test")));
            ProxyHarness.Admin reload = proxy.admin("POST", "/admin/reload");
            assertThat(reload.status()).isEqualTo(200);
            assertThat(reload.json().get("changes").toString()).contains("tls.certificates[0]: serving CN=renewed.a.turnout.test for [a.turnout.test] until ");

            try (SSLSocket after = connect("a.turnout.test", null, null)) {
                after.startHandshake();
                X509Certificate served = (X509Certificate) after.getSession().getPeerCertificates()[0];
                assertThat(served.getSubjectX500Principal().getName()).isEqualTo("CN=renewed.a.turnout.test");
                assertThat(served.getSerialNumber()).isNotEqualTo(servedBefore);
            }
            // The certificate that was not replaced is still served by its name.
            assertThat(peerSubject("b.turnout.test")).isEqualTo("CN=b.turnout.test");
            // The connection opened before the swap keeps its session and is still answered.
            assertThat(open.get("/after-swap").status()).isEqualTo(200);
            assertThat(((X509Certificate) before.getSession().getPeerCertificates()[0]).getSerialNumber()).isEqualTo(servedBefore);
            // Another reload frees the contexts of the first one; the connection keeps its own, still answered.
            assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(200);
            assertThat(open.get("/after-second-reload").status()).isEqualTo(200);
            JsonNode certificates = proxy.admin("GET", "/admin/status").json().get("certificates");
            assertThat(certificates).hasSize(2);
            assertThat(certificates.get(0).get("names").toString()).isEqualTo("[\"a.turnout.test\"]");
            assertThat(certificates.get(1).get("names").toString()).isEqualTo("[\"b.turnout.test\"]");
        }
    }

    @Test
    void handshakesDuringReloadsAllSucceed() throws Exception {
        start("");
        // Each reload frees the contexts before it while new connections pick theirs: none may get a freed one.
        CompletableFuture<Integer> handshakes = CompletableFuture.supplyAsync(() -> {
            int done = 0;
            try {
                while (done < 100) {
                    try (RawHttp client = RawHttp.over(connect(done % 2 == 0 ? "a.turnout.test" : "b.turnout.test", null, null))) {
                        assertThat(client.get("/").status()).isEqualTo(200);
                    }
                    done++;
                }
            } catch (IOException e) {
                throw new AssertionError("handshake " + done + " failed", e);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return done;
        });
        while (!handshakes.isDone()) {
            assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(200);
        }
        assertThat(handshakes.get(60, TimeUnit.SECONDS)).isEqualTo(100);
    }

    @Test
    void aReloadRefusedAfterTheCertificatesWereReadKeepsTheRunningOnesServing() throws Exception {
        start("");
        try (SSLSocket before = connect("a.turnout.test", null, null); RawHttp open = RawHttp.over(before)) {
            assertThat(open.get("/").status()).isEqualTo(200);
            assertThat(proxy.admin("POST", "/admin/switch").status()).isEqualTo(200);
            // Valid, but without green, the active pool: refused after the certificates were read, which are then freed.
            proxy.rewriteConfig(dir, "pools:\n  blue: { backends: [\"" + blue.address() + "\"] }\n"
                    + "  canary: { backends: [\"" + green.address() + "\"] }\n" + tlsSection(""));
            ProxyHarness.Admin reload = proxy.admin("POST", "/admin/reload");
            assertThat(reload.status()).isEqualTo(422);
            assertThat(reload.json().get("problems").get(0).asText()).startsWith("pools.green: the active pool cannot be removed");
            assertThat(open.get("/after-refusal").status()).isEqualTo(200);
            assertThat(peerSubject("a.turnout.test")).isEqualTo("CN=a.turnout.test");
            assertThat(peerSubject("b.turnout.test")).isEqualTo("CN=b.turnout.test");
        }
    }

    @Test
    void aReloadWithAKeyOfAnotherCertificateIsRefusedAndTheOldCertificateKeepsServing() throws Exception {
        start("");
        Files.writeString(dir.resolve("a.key"), pem("PRIVATE KEY", newKeys().getPrivate().getEncoded()));
        ProxyHarness.Admin reload = proxy.admin("POST", "/admin/reload");
        assertThat(reload.status()).isEqualTo(422);
        assertThat(reload.json().get("error").asText()).isEqualTo("invalid_config");
        assertThat(reload.json().get("problems")).hasSize(1);
        assertThat(reload.json().get("problems").get(0).asText())
                .startsWith("tls.certificates[0].key: " + dir.resolve("a.key") + " is not the key of the first certificate");
        assertThat(peerSubject("a.turnout.test")).isEqualTo("CN=a.turnout.test");
        try (RawHttp client = RawHttp.over(connect("a.turnout.test", null, null))) {
            assertThat(client.get("/").status()).isEqualTo(200);
        }
        JsonNode certificates = proxy.admin("GET", "/admin/status").json().get("certificates");
        assertThat(certificates.get(0).get("names").toString()).isEqualTo("[\"a.turnout.test\"]");
        assertThat(certificates.get(0).get("lastLoad").asText()).startsWith("tls.certificates[0].key: ");
        assertThat(certificates.get(1).get("lastLoad").asText()).isEqualTo("ok");
    }

    @Test
    void theStatusListsEachCertificateWithItsNamesExpiryFilesAndLastLoad() throws Exception {
        start("");
        JsonNode certificates = proxy.admin("GET", "/admin/status").json().get("certificates");
        assertThat(certificates).hasSize(2);
        JsonNode a = certificates.get(0);
        assertThat(a.get("names").toString()).isEqualTo("[\"a.turnout.test\"]");
        Instant notAfter = Instant.parse(a.get("notAfter").asText());
        assertThat(notAfter).isBetween(Instant.now().plus(Duration.ofDays(29)), Instant.now().plus(Duration.ofDays(30)));
        assertThat(a.get("daysLeft").asInt()).isEqualTo(29);
        assertThat(a.get("cert").asText()).isEqualTo(dir.resolve("a.crt").toString());
        assertThat(a.get("key").asText()).isEqualTo(dir.resolve("a.key").toString());
        assertThat(a.get("lastLoad").asText()).isEqualTo("ok");
        assertThat(certificates.get(1).get("names").toString()).isEqualTo("[\"b.turnout.test\"]");
        // A broken file that was then fixed: the next reload reports ok again.
        Files.writeString(dir.resolve("b.crt"), "not a certificate");
        assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(422);
        assertThat(proxy.admin("GET", "/admin/status").json().get("certificates").get(1).get("lastLoad").asText())
                .isEqualTo("tls.certificates[1].cert: " + dir.resolve("b.crt") + " is not PEM (expected: PEM, the certificate first, "
                        + "then each intermediate after the one it signs)");
        writeCertificate("b", "CN=b.turnout.test", List.of(new GeneralName(GeneralName.dNSName, "b.turnout.test")));
        assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(200);
        assertThat(proxy.admin("GET", "/admin/status").json().get("certificates").get(1).get("lastLoad").asText()).isEqualTo("ok");
    }

    @Test
    void certificateFilesChangedOnDiskAreServedWithoutAReloadSymlinkSwapsIncluded() throws Exception {
        // Served as certbot's live/ directory does: symlinks to the files of the current version.
        Files.createDirectories(dir.resolve("v1"));
        Files.createDirectories(dir.resolve("v2"));
        Files.move(dir.resolve("a.crt"), dir.resolve("v1/a.crt"));
        Files.move(dir.resolve("a.key"), dir.resolve("v1/a.key"));
        Files.createSymbolicLink(dir.resolve("a.crt"), dir.resolve("v1/a.crt"));
        Files.createSymbolicLink(dir.resolve("a.key"), dir.resolve("v1/a.key"));
        System.setProperty("turnout.tls.pollMillis", "50");
        try {
            start("");
        } finally {
            System.clearProperty("turnout.tls.pollMillis");
        }
        try (SSLSocket before = connect("a.turnout.test", null, null); RawHttp open = RawHttp.over(before)) {
            assertThat(open.get("/").status()).isEqualTo(200);

            // Written in place, as a renewal that rewrites the files does.
            writeCertificate("a", "CN=rewritten.a.turnout.test", List.of(new GeneralName(GeneralName.dNSName, "a.turnout.test")));
            await().untilAsserted(() -> assertThat(peerSubject("a.turnout.test")).isEqualTo("CN=rewritten.a.turnout.test"));

            // A new version beside it, then the links swapped over to it one at a time.
            writeCertificate("v2/a", "CN=swapped.a.turnout.test", List.of(new GeneralName(GeneralName.dNSName, "a.turnout.test")));
            swapLink("a.crt", "v2/a.crt");
            swapLink("a.key", "v2/a.key");
            await().untilAsserted(() -> assertThat(peerSubject("a.turnout.test")).isEqualTo("CN=swapped.a.turnout.test"));
            assertThat(open.get("/after-swaps").status()).isEqualTo(200);

            // A bad key: reported once, in the log and in the status, and the certificate before it keeps serving.
            LogCapture.clear();
            Files.writeString(dir.resolve("v2/a.key"), "not a key");
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/status").json().get("certificates").get(0)
                    .get("lastLoad").asText()).startsWith("tls.certificates[0].key: "));
            Thread.sleep(300);
            assertThat(LogCapture.lines()).filteredOn(l -> l.startsWith("WARN CertificateWatch: certificate files changed but do not load"))
                    .hasSize(1);
            assertThat(peerSubject("a.turnout.test")).isEqualTo("CN=swapped.a.turnout.test");
            assertThat(open.get("/after-bad-key").status()).isEqualTo(200);
        }
    }

    private void swapLink(String link, String target) throws Exception {
        Path next = dir.resolve(link + ".next");
        Files.createSymbolicLink(next, dir.resolve(target));
        Files.move(next, dir.resolve(link), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aSecondTls12ConnectionResumesTheSessionOfTheFirst() throws Exception {
        start("");
        CountingTrust trust = new CountingTrust();
        SSLContext client = resumingContext(trust);
        byte[] first = requestOver(client, "TLSv1.2");
        byte[] second = requestOver(client, "TLSv1.2");
        // A resumed TLS 1.2 session keeps its id, and the server sends no certificate to check again.
        assertThat(second).isEqualTo(first);
        assertThat(trust.checks()).isEqualTo(1);
    }

    @Test
    void aSecondTls13ConnectionResumesWithTheTicketOfTheFirst() throws Exception {
        start("");
        CountingTrust trust = new CountingTrust();
        SSLContext client = resumingContext(trust);
        requestOver(client, "TLSv1.3");
        requestOver(client, "TLSv1.3");
        // TLS 1.3 resumes only with a ticket (a pre-shared key), and a resumed handshake has no certificate to check.
        assertThat(trust.checks()).isEqualTo(1);
    }

    @Test
    void sessionsResumeAcrossAReloadUntilTheirCertificateIsRenewed() throws Exception {
        start("");
        for (String protocol : List.of("TLSv1.2", "TLSv1.3")) {
            CountingTrust trust = new CountingTrust();
            SSLContext client = resumingContext(trust);
            requestOver(client, protocol);
            // A reload builds new contexts; they decrypt the tickets and know the sessions of the ones before.
            assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(200);
            requestOver(client, protocol);
            assertThat(trust.checks()).as(protocol).isEqualTo(1);
        }
        // A renewed certificate is shown in full: no session of the one before resumes with it.
        CountingTrust trust = new CountingTrust();
        SSLContext client = resumingContext(trust);
        requestOver(client, "TLSv1.3");
        writeCertificate("a", "CN=renewed.a.turnout.test", List.of(new GeneralName(GeneralName.dNSName, "a.turnout.test")));
        assertThat(proxy.admin("POST", "/admin/reload").status()).isEqualTo(200);
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(https().getAddress(), https().getPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("a.turnout.test")));
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            assertThat(((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName())
                    .isEqualTo("CN=renewed.a.turnout.test");
        }
        assertThat(trust.checks()).isEqualTo(2);
    }

    /** Shakes hands with {@code protocol} over a new connection from {@code client}, answers one request, returns the session id. */
    private byte[] requestOver(SSLContext client, String protocol) throws Exception {
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(https().getAddress(), https().getPort())) {
            socket.setSoTimeout(20_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("a.turnout.test")));
            parameters.setProtocols(new String[] {protocol});
            socket.setSSLParameters(parameters);
            // The answer comes after any ticket the server sends, so the client has it once the answer is read.
            try (RawHttp http = RawHttp.over(socket)) {
                assertThat(http.get("/").status()).isEqualTo(200);
                assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
                return socket.getSession().getId();
            }
        }
    }

    private SSLContext resumingContext(CountingTrust trust) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trust.wrapping((X509ExtendedTrustManager) trustTheCa.getTrustManagers()[0])}, null);
        return context;
    }

    /** Counts the server certificates a client checks: one per full handshake, none for a resumed one. */
    private static final class CountingTrust {
        private final AtomicInteger checks = new AtomicInteger();

        int checks() {
            return checks.get();
        }

        X509ExtendedTrustManager wrapping(X509ExtendedTrustManager trust) {
            return new X509ExtendedTrustManager() {
                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
                    checks.incrementAndGet();
                    trust.checkServerTrusted(chain, authType, socket);
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
                    checks.incrementAndGet();
                    trust.checkServerTrusted(chain, authType, engine);
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    checks.incrementAndGet();
                    trust.checkServerTrusted(chain, authType);
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
                    throw new CertificateException("a client only checks servers");
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
                    throw new CertificateException("a client only checks servers");
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    throw new CertificateException("a client only checks servers");
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return trust.getAcceptedIssuers();
                }
            };
        }
    }

    @Test
    void withoutTlsTheStatusHasNoCertificates() throws Exception {
        proxy = startProxy("");
        assertThat(proxy.admin("GET", "/admin/status").json().has("certificates")).isFalse();
    }

    private String peerSubject(String serverName) throws Exception {
        try (SSLSocket socket = connect(serverName, null, null)) {
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    private SSLContext trustingContext() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trustTheCa.getTrustManagers(), null);
        return context;
    }

    /**
     * A TLS socket with a session cache of its own: the JDK client resumes by address and, when it
     * does, sends the server name of the session it resumes instead of {@code serverName}.
     */
    private SSLSocket connect(String serverName, String[] protocols, String[] alpn) throws Exception {
        SSLSocket socket = (SSLSocket) trustingContext().getSocketFactory().createSocket(https().getAddress(), https().getPort());
        socket.setSoTimeout(20_000);
        SSLParameters parameters = socket.getSSLParameters();
        if (serverName != null) {
            parameters.setServerNames(List.of(new SNIHostName(serverName)));
        }
        if (protocols != null) {
            parameters.setProtocols(protocols);
        }
        if (alpn != null) {
            parameters.setApplicationProtocols(alpn);
        }
        socket.setSSLParameters(parameters);
        return socket;
    }

    @Test
    void aClientThatNeverFinishesItsHandshakeIsClosedWithoutACleartextAnswer() throws Exception {
        proxy = startProxy("limits: { headerTimeout: 300ms }\n" + tlsSection(""));
        try (Socket silent = new Socket(https().getAddress(), https().getPort())) {
            silent.setSoTimeout(20_000);
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void maxConnectionsCountsBothListenersAndAnHttpsClientPastItIsClosedUnanswered() throws Exception {
        proxy = startProxy("limits: { maxConnections: 1 }\n" + tlsSection(""));
        try (RawHttp plain = proxy.client()) {
            assertThat(plain.get("/").status()).isEqualTo(200);
            try (SSLSocket second = connect("a.turnout.test", null, null)) {
                assertThatThrownBy(second::startHandshake).isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    void aProtocolLeftOutOfTlsProtocolsIsRefused() throws Exception {
        // The JDK client can no longer offer TLSv1.1 (jdk.tls.disabledAlgorithms), so the refusal is
        // shown one version up: a listener that allows only TLSv1.3 refuses a TLSv1.2 client.
        start("  protocols: [TLSv1.3]\n");
        try (SSLSocket old = connect("a.turnout.test", new String[] {"TLSv1.2"}, null)) {
            assertThatThrownBy(old::startHandshake).isInstanceOf(SSLHandshakeException.class);
        }
        try (SSLSocket current = connect("a.turnout.test", new String[] {"TLSv1.3"}, null)) {
            current.startHandshake();
            assertThat(current.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    @Test
    void alpnChoosesByTheListedOrderAndFallsBackToHttp11() throws Exception {
        start("  alpn: [http/1.1, h2]\n");
        // The server's order decides: with http/1.1 listed first, a client offering both gets it.
        try (SSLSocket socket = connect("a.turnout.test", new String[] {"TLSv1.2", "TLSv1.3"}, new String[] {"h2", "http/1.1"})) {
            socket.startHandshake();
            assertThat(socket.getApplicationProtocol()).isEqualTo("http/1.1");
            socket.getOutputStream().write("GET /alpn HTTP/1.1\r\nHost: a.turnout.test\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 200 ");
        }
        // A client that offers no protocol at all still gets HTTP/1.1.
        try (SSLSocket socket = connect("a.turnout.test", new String[] {"TLSv1.2", "TLSv1.3"}, new String[0])) {
            socket.startHandshake();
            socket.getOutputStream().write("GET /alpn HTTP/1.1\r\nHost: a.turnout.test\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void theDefaultAlpnGivesH2ToAClientThatOffersIt() throws Exception {
        start("");
        HttpClient client = HttpClient.newBuilder().sslContext(trusting).build();
        HttpResponse<String> r = client.send(get("/alpn").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void hstsGoesOnRelayedAnswersAndOnTurnoutsOwn() throws Exception {
        start("  hsts: \"max-age=31536000; includeSubDomains\"\n");
        HttpResponse<String> relayed = send(get("/hello"));
        assertThat(relayed.statusCode()).isEqualTo(200);
        assertThat(relayed.headers().allValues("strict-transport-security")).containsExactly("max-age=31536000; includeSubDomains");
        // The backend hangs up on /close: Turnout answers 502 itself.
        HttpResponse<String> own = send(get("/close"));
        assertThat(own.statusCode()).isEqualTo(502);
        assertThat(own.headers().allValues("strict-transport-security")).containsExactly("max-age=31536000; includeSubDomains");
        // Plain HTTP gets none: browsers ignore it there (RFC 6797, 8.1).
        try (RawHttp client = proxy.client()) {
            assertThat(client.get("/hello").header("strict-transport-security")).isEmpty();
        }
    }

    @Test
    void thePlainListenerRedirectsToHttpsButStillProxiesHealth() throws Exception {
        start("  redirectHttp: true\n  redirectPort: 8443\n");
        int before = blue.requests();
        try (RawHttp client = proxy.client()) {
            RawHttp.Response get = client.send("GET /a/b?c=d HTTP/1.1\r\nHost: shop.example:8080\r\n\r\n").read(false);
            assertThat(get.status()).isEqualTo(301);
            assertThat(get.header("location")).hasValue("https://shop.example:8443/a/b?c=d");
            assertThat(get.header("content-length")).hasValue("0");

            client.send("POST /orders HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 0\r\n\r\n");
            RawHttp.Response post = client.read(false);
            assertThat(post.status()).isEqualTo(308);
            assertThat(post.header("location")).hasValue("https://shop.example:8443/orders");

            RawHttp.Response health = client.get("/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(ProxyHarness.json(health).get("name").asText()).isEqualTo("blue");
        }
        assertThat(blue.requests() - before).isEqualTo(1);
        try (RawHttp client = proxy.client()) {
            RawHttp.Response noHost = client.send("GET / HTTP/1.0\r\n\r\n").read(false);
            assertThat(noHost.status()).isEqualTo(400);
        }
    }

    @Test
    void anAbsoluteFormTargetIsRedirectedToItsOwnHost() throws Exception {
        start("  redirectHttp: true\n  redirectPort: 8443\n");
        try (RawHttp client = proxy.client()) {
            // The target's authority wins over Host (RFC 9112, 3.2.2: ClientRules makes it the Host before the
            // redirect is answered); its port is the plain listener's, not kept.
            assertRedirected(client, "GET http://shop.example:8080/a?b HTTP/1.1\r\nHost: other.example\r\n\r\n",
                    301, "https://shop.example:8443/a?b");
            assertRedirected(client, "POST HTTP://[2001:db8::1]?q=1 HTTP/1.1\r\nHost: [2001:db8::1]\r\nContent-Length: 0\r\n\r\n",
                    308, "https://[2001:db8::1]:8443/?q=1");
        }
        // A host that could shape the Location (user info here) is refused as in a Host header.
        try (RawHttp client = proxy.client()) {
            RawHttp.Response bad = client.send("GET http://evil.example@shop.example/ HTTP/1.1\r\nHost: shop.example\r\n\r\n").read(false);
            assertThat(bad.status()).isEqualTo(400);
        }
    }

    @Test
    void aRedirectToPort443LeavesThePortOut() throws Exception {
        start("  redirectHttp: true\n");
        try (RawHttp client = proxy.client()) {
            assertRedirected(client, "GET /x HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n", 301, "https://[2001:db8::1]/x");
            assertRedirected(client, "HEAD /y HTTP/1.1\r\nHost: shop.example\r\n\r\n", 301, "https://shop.example/y");
        }
    }

    /** Sends {@code request} and checks the redirect that answers it. */
    private static void assertRedirected(RawHttp client, String request, int status, String location) throws IOException {
        RawHttp.Response answer = client.send(request).read(request.startsWith("HEAD "));
        assertThat(answer.status()).isEqualTo(status);
        assertThat(answer.header("location")).hasValue(location);
    }

    private static KeyPair newKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private X509Certificate sign(X500Name subject, KeyPair subjectKeys, List<GeneralName> names, boolean isCa) throws Exception {
        X500Name issuer = isCa ? subject : new X500Name(ca.getSubjectX500Principal().getName());
        PrivateKey signer = isCa ? subjectKeys.getPrivate() : caKeys.getPrivate();
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(30))), subject, subjectKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (!names.isEmpty()) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    /** {@code name}.crt (leaf, then the CA) and {@code name}.key (PKCS#8), as PEM in the test's directory. */
    private void writeCertificate(String name, String subject, List<GeneralName> names) throws Exception {
        KeyPair keys = newKeys();
        X509Certificate leaf = sign(new X500Name(subject), keys, names, false);
        Files.writeString(dir.resolve(name + ".crt"), pem("CERTIFICATE", leaf.getEncoded()) + pem("CERTIFICATE", ca.getEncoded()));
        Files.writeString(dir.resolve(name + ".key"), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
