package dev.turnout.proxy;

import dev.turnout.config.CertificateCheck;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ProxyConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS side of the HTTPS listener, built once at start: one {@link SslContext} per certificate,
 * chosen per connection by SNI from the names in the certificate, the first certificate for clients
 * that name none of them. OpenSSL (BoringSSL) when its native library loads, else the JDK provider.
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    /**
     * TLS 1.2: forward secrecy and AEAD only (what Mozilla's "intermediate" profile allows); TLS 1.3:
     * its three suites, which the JDK provider needs listed too or it would offer no 1.3 at all.
     */
    static final List<String> DEFAULT_CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /**
     * Only HTTP/1.1 is served for now: advertising h2 would let a client choose it and then get
     * HTTP/1.1 bytes. A client that offers no protocol we know still gets HTTP/1.1 (NO_ADVERTISE, ACCEPT).
     */
    private static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_1_1);

    private final SslProvider provider;
    private final Mapping<String, SslContext> byName;
    private final byte[] hstsLine;

    private ServerTls(SslProvider provider, Mapping<String, SslContext> byName, byte[] hstsLine) {
        this.provider = provider;
        this.byName = byName;
        this.hstsLine = hstsLine;
    }

    /** Reads the certificates and keys of {@code tls}; the message of a failure names the certificate by its key path. */
    public static ServerTls load(ProxyConfig.Tls tls) throws IOException {
        if (tls.alpn().contains(ApplicationProtocolNames.HTTP_2)) {
            log.info("tls.alpn lists h2, which is not served yet: the HTTPS listener offers http/1.1 only");
        }
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        List<String> ciphers = tls.ciphers().isEmpty() ? DEFAULT_CIPHERS : tls.ciphers();
        DomainWildcardMappingBuilder<SslContext> names = null;
        for (int i = 0; i < tls.certificates().size(); i++) {
            ProxyConfig.Certificate certificate = tls.certificates().get(i);
            String key = "tls.certificates[" + i + "]";
            SslContext context;
            List<String> served;
            try {
                // The same reading and checks as `turnout check`, so both refuse a certificate alike.
                CertificateCheck.Loaded loaded = CertificateCheck.load(certificate, key, Instant.now());
                context = SslContextBuilder.forServer(loaded.key(), loaded.chain().toArray(X509Certificate[]::new))
                        .sslProvider(provider)
                        .protocols(tls.protocols())
                        .ciphers(ciphers, SupportedCipherSuiteFilter.INSTANCE)
                        .applicationProtocolConfig(ALPN)
                        .build();
                served = loaded.names();
            } catch (ConfigException e) {
                throw new IOException(String.join("; ", e.problems()), e);
            } catch (IOException | RuntimeException e) {
                throw new IOException(key + ": cannot load " + certificate.cert() + " with " + certificate.key() + ": " + e.getMessage(), e);
            }
            if (names == null) {
                names = new DomainWildcardMappingBuilder<>(context);
            }
            for (String name : served) {
                names.add(name, context);
            }
        }
        if (names == null) {
            throw new IOException("tls.certificates: none given");
        }
        byte[] hsts = tls.hsts()
                .map(v -> ("Strict-Transport-Security: " + v + "\r\n").getBytes(StandardCharsets.US_ASCII))
                .orElse(new byte[0]);
        return new ServerTls(provider, names.build(), hsts);
    }

    /** What the start line says: the provider in use. */
    public String providerName() {
        return provider == SslProvider.OPENSSL ? "OpenSSL " + OpenSsl.versionString() : "JDK " + System.getProperty("java.version");
    }

    /** The first handler of a new connection: reads the client hello and puts the matching SslHandler in its place. */
    SniHandler newHandler() {
        return new SniHandler(byName);
    }

    /** The header line every answer on the HTTPS listener carries; empty without {@code tls.hsts}. */
    byte[] hstsLine() {
        return hstsLine;
    }

}
