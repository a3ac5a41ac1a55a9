package dev.turnout.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.turnout.testing.TestCertificates;
import dev.turnout.testing.TestCertificates.Issued;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the HTTPS listener gets from {@link CertificateCheck#load}, and what it is spared. */
class CertificateCheckTest {

    private static final String AT = "tls.certificates[0]";

    @TempDir
    Path dir;

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private Issued intermediate;

    @BeforeEach
    void ca() throws Exception {
        intermediate = TestCertificates.intermediate("Test Intermediate", TestCertificates.root("Test Root"));
    }

    private ProxyConfig.Certificate files(Issued leaf, Issued... rest) throws Exception {
        Issued[] chain = new Issued[rest.length + 1];
        chain[0] = leaf;
        System.arraycopy(rest, 0, chain, 1, rest.length);
        return new ProxyConfig.Certificate(TestCertificates.writeChain(dir.resolve("fullchain.pem"), chain),
                TestCertificates.writeKey(dir.resolve("privkey.pem"), leaf));
    }

    private String problem(ProxyConfig.Certificate files) {
        List<String> problems = catchThrowableOfType(ConfigException.class, () -> CertificateCheck.load(files, AT, now)).problems();
        assertThat(problems).hasSize(1);
        return problems.get(0);
    }

    @Test
    void aGoodChainLoadsWithTheNamesItServesAndWhenItStopsWorking() throws Exception {
        Instant notAfter = now.plus(90, ChronoUnit.DAYS);
        Issued leaf = TestCertificates.leaf("a.example", intermediate, now.minusSeconds(60), notAfter, "a.example", "www.a.example");
        CertificateCheck.Loaded loaded = CertificateCheck.load(files(leaf, intermediate), AT, now);
        assertThat(loaded.chain()).containsExactly(leaf.certificate(), intermediate.certificate());
        assertThat(loaded.key()).isEqualTo(leaf.keys().getPrivate());
        assertThat(loaded.names()).containsExactly("a.example", "www.a.example");
        assertThat(loaded.notAfter()).isEqualTo(notAfter);
        assertThat(loaded.expiryWarning(AT, now)).isEmpty();
    }

    @Test
    void withoutSubjectAltNameTheCommonNameIsTheName() throws Exception {
        Issued leaf = TestCertificates.leaf("b.example", intermediate, now.minusSeconds(60), now.plus(30, ChronoUnit.DAYS));
        assertThat(CertificateCheck.load(files(leaf, intermediate), AT, now).names()).containsExactly("b.example");
    }

    @Test
    void anOlderKeyFormatIsRefusedWithTheCommandThatConvertsIt() throws Exception {
        Issued leaf = TestCertificates.leaf("a.example", intermediate, now.minusSeconds(60), now.plus(30, ChronoUnit.DAYS));
        ProxyConfig.Certificate files = files(leaf, intermediate);
        Files.writeString(files.key(), TestCertificates.pem("RSA PRIVATE KEY", new byte[] {1, 2, 3}));
        assertThat(problem(files)).isEqualTo(AT + ".key: " + files.key() + " holds a RSA PRIVATE KEY in the older format (expected: an "
                + "unencrypted PKCS#8 key, -----BEGIN PRIVATE KEY-----; convert it with openssl pkcs8 -topk8 -nocrypt -in "
                + files.key() + " -out " + files.key() + ".pk8)");
    }

    @Test
    void aDerCertificateIsNotPem() throws Exception {
        Issued leaf = TestCertificates.leaf("a.example", intermediate, now.minusSeconds(60), now.plus(30, ChronoUnit.DAYS));
        ProxyConfig.Certificate files = files(leaf, intermediate);
        Files.write(files.cert(), leaf.certificate().getEncoded());
        assertThat(problem(files)).isEqualTo(AT + ".cert: " + files.cert() + " is not PEM (expected: PEM, the certificate first, then "
                + "each intermediate after the one it signs)");
    }

    @Test
    void aCertificateNotYetValidIsRefused() throws Exception {
        Instant notBefore = now.plus(1, ChronoUnit.DAYS);
        Issued leaf = TestCertificates.leaf("a.example", intermediate, notBefore, now.plus(30, ChronoUnit.DAYS));
        assertThat(problem(files(leaf, intermediate))).isEqualTo(AT + ".cert: certificate 1 (CN=a.example) is not valid before "
                + notBefore + " (expected: a certificate valid now; check the clock)");
    }
}
