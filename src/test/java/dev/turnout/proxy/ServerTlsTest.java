package dev.turnout.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.config.ConfigException;
import dev.turnout.config.HostPort;
import dev.turnout.config.ProxyConfig;
import dev.turnout.testing.TestCertificates;
import dev.turnout.testing.TestCertificates.Issued;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ReferenceCounted;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What becomes of the OpenSSL contexts of the HTTPS certificates: each is freed once nothing uses
 * it any more, when a reload replaces it, when a reload is refused, and when Turnout stops. The
 * listener over real sockets is TlsTest's; here the references are counted.
 */
class ServerTlsTest {

    @TempDir
    Path dir;

    private Issued ca;
    private ProxyConfig.Tls tls;

    @BeforeEach
    void writeCertificates() throws Exception {
        Assumptions.assumeTrue(OpenSsl.isAvailable(), "the JDK provider counts no references");
        ca = TestCertificates.root("Test CA");
        tls = new ProxyConfig.Tls(new HostPort("127.0.0.1", 0), List.of(write("a", "a.turnout.test"), write("b", "b.turnout.test")),
                List.of("TLSv1.2", "TLSv1.3"), List.of(), List.of("http/1.1"), false, 443, Optional.empty());
    }

    private ProxyConfig.Certificate write(String name, String dnsName) throws Exception {
        Issued leaf = TestCertificates.leaf(dnsName, ca, Instant.now().minusSeconds(60), Instant.now().plusSeconds(86_400), dnsName);
        return new ProxyConfig.Certificate(TestCertificates.writeChain(dir.resolve(name + ".crt"), leaf, ca),
                TestCertificates.writeKey(dir.resolve(name + ".key"), leaf));
    }

    @Test
    void aReplacedContextLivesAsLongAsTheConnectionsThatUseItAndNoLonger() throws Exception {
        ServerTls server = ServerTls.load(tls);
        ServerTls.Certificates first = server.reread(tls);
        server.publish(first);
        assertThat(first.contexts()).hasSize(2).allSatisfy(c -> assertThat(refCnt(c)).isEqualTo(1));
        // A connection shook hands with the first certificate before the reload.
        SSLEngine open = first.contexts().get(0).newEngine(ByteBufAllocator.DEFAULT);
        assertThat(refCnt(first.contexts().get(0))).isEqualTo(2);

        ServerTls.Certificates second = server.reread(tls);
        server.publish(second);
        assertThat(second.contexts()).allSatisfy(c -> assertThat(refCnt(c)).isEqualTo(1));
        assertThat(refCnt(first.contexts().get(0))).isEqualTo(1);
        assertThat(refCnt(first.contexts().get(1))).isZero();
        // The open connection ends: its engine gives the last reference back.
        ReferenceCountUtil.release(open);
        assertThat(refCnt(first.contexts().get(0))).isZero();

        server.close();
        assertThat(second.contexts()).allSatisfy(c -> assertThat(refCnt(c)).isZero());
    }

    @Test
    void certificatesReadForARefusedReloadAreFreedAndTheServingOnesStay() throws Exception {
        ServerTls server = ServerTls.load(tls);
        ServerTls.Certificates serving = server.reread(tls);
        server.publish(serving);
        ServerTls.Certificates refused = server.reread(tls);
        server.discard(refused);
        assertThat(refused.contexts()).allSatisfy(c -> assertThat(refCnt(c)).isZero());
        assertThat(serving.contexts()).allSatisfy(c -> assertThat(refCnt(c)).isEqualTo(1));
        // A reading that fails keeps the serving contexts as they are.
        Files.writeString(tls.certificates().get(1).cert(), "not a certificate");
        assertThatThrownBy(() -> server.reread(tls)).isInstanceOf(ConfigException.class);
        assertThat(serving.contexts()).allSatisfy(c -> assertThat(refCnt(c)).isEqualTo(1));
        server.close();
        assertThat(serving.contexts()).allSatisfy(c -> assertThat(refCnt(c)).isZero());
    }

    private static int refCnt(SslContext context) {
        return ((ReferenceCounted) context).refCnt();
    }
}
