package dev.turnout.proxy;

import dev.turnout.config.CertificateCheck;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ProxyConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS side of the HTTPS listener: one {@link SslContext} per certificate, chosen per connection
 * by SNI from the names in the certificate, the first certificate for clients that name none of them.
 * Read at start and again on each reload. OpenSSL (BoringSSL) when its native library loads, else the JDK provider.
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    /** How many sessions each certificate's context caches (Netty's and the JDK's default), each for an hour at most. */
    static final int SESSION_CACHE_SIZE = 20_480;

    /**
     * TLS 1.2: forward secrecy and AEAD only (what Mozilla's "intermediate" profile allows); TLS 1.3:
     * its three suites, which the JDK provider needs listed too or it would offer no 1.3 at all.
     */
    static final List<String> DEFAULT_CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private final SslProvider provider;
    private final SessionTickets tickets;
    private final byte[] hstsLine;
    /**
     * What new handshakes are served, replaced whole by a reload: one volatile read per handshake,
     * no lock, and a connection keeps the SslHandler it got, so a swap closes nothing. Written on
     * the admin executor only (reloads, CertificateWatch).
     */
    private volatile Certificates serving;
    /** The same for every handshake: it reads {@link #serving} when the client hello arrives. */
    private final Mapping<String, SslContext> byName = this::retained;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ServerTls(SslProvider provider, SessionTickets tickets, Certificates serving, byte[] hstsLine) {
        this.provider = provider;
        this.tickets = tickets;
        this.serving = serving;
        this.hstsLine = hstsLine;
    }

    /**
     * One certificate as GET /admin/status shows it.
     *
     * @param leaf     the certificate served, which tells a renewed certificate from the one before
     * @param lastLoad "ok", or the problem that kept the last reading (a reload, a change on disk) from replacing it
     */
    public record Status(List<String> names, Instant notAfter, Path cert, Path key, X509Certificate leaf, String lastLoad) {}

    /**
     * Read and checked, not serving yet: a reload publishes them once the rest of the config is accepted too.
     *
     * @param contexts each context of {@code byName} once, in the order of the certificates
     */
    public record Certificates(Mapping<String, SslContext> byName, List<SslContext> contexts, List<Status> status) {}

    /** Reads the certificates and keys of {@code tls}; the message of a failure names the certificate by its key path. */
    public static ServerTls load(ProxyConfig.Tls tls) throws ConfigException {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        byte[] hsts = tls.hsts()
                .map(v -> ("Strict-Transport-Security: " + v + "\r\n").getBytes(StandardCharsets.US_ASCII))
                .orElse(new byte[0]);
        SessionTickets tickets = new SessionTickets();
        return new ServerTls(provider, tickets, read(provider, tickets, tls), hsts);
    }

    /**
     * Reads the certificates of {@code tls} again, for a reload; nothing changes until {@link #publish}.
     * A failure is kept for GET /admin/status, beside the certificates that go on serving.
     */
    public Certificates reread(ProxyConfig.Tls tls) throws ConfigException {
        try {
            return read(provider, tickets, tls);
        } catch (ConfigException e) {
            showProblems(e.problems());
            throw e;
        }
    }

    /**
     * Shows {@code problems} of a reading in the {@code lastLoad} of the certificates that go on
     * serving: a problem named after a serving certificate on that one, any other on each.
     */
    public void showProblems(List<String> problems) {
        // Reloads and CertificateWatch run one at a time on the admin executor: this read and write race with no other.
        Certificates old = serving;
        List<Status> status = new ArrayList<>();
        for (int i = 0; i < old.status().size(); i++) {
            String prefix = "tls.certificates[" + i + "]";
            List<String> own = problems.stream().filter(p -> p.startsWith(prefix)).toList();
            // A problem of no serving certificate (one the reload would have added) is shown on each.
            List<String> shown = !own.isEmpty() ? own
                    : problems.stream().filter(p -> !servingIndex(p, old.status().size())).toList();
            Status s = old.status().get(i);
            String lastLoad = shown.isEmpty() ? "ok" : String.join("; ", shown);
            status.add(new Status(s.names(), s.notAfter(), s.cert(), s.key(), s.leaf(), lastLoad));
        }
        serving = new Certificates(old.byName(), old.contexts(), List.copyOf(status));
    }

    private static boolean servingIndex(String problem, int serving) {
        for (int i = 0; i < serving; i++) {
            if (problem.startsWith("tls.certificates[" + i + "]")) {
                return true;
            }
        }
        return false;
    }

    /**
     * New handshakes get {@code next} from now on; returns a line for each certificate that is not the one served before.
     * The contexts replaced are released: the connections that use them hold references of their own.
     */
    public List<String> publish(Certificates next) {
        Certificates old = serving;
        serving = next;
        release(old, next);
        List<String> changes = new ArrayList<>();
        for (int i = 0; i < next.status().size(); i++) {
            Status now = next.status().get(i);
            if (i >= old.status().size() || !old.status().get(i).leaf().equals(now.leaf())) {
                changes.add("tls.certificates[" + i + "]: serving " + now.leaf().getSubjectX500Principal().getName() + " for "
                        + now.names() + " until " + now.notAfter());
            }
        }
        return changes;
    }

    /** Frees {@code unused}, read by {@link #reread} for a reload that was then refused for another reason. */
    public void discard(Certificates unused) {
        release(unused, serving);
    }

    /** Frees the contexts of {@code gone} that {@code kept} does not hold too. */
    private static void release(Certificates gone, Certificates kept) {
        for (SslContext context : gone.contexts()) {
            if (!kept.contexts().contains(context)) {
                ReferenceCountUtil.release(context);
            }
        }
    }

    /** Frees the contexts served, once no handshake can start any more: at the end of the stop; once only. */
    public void close() {
        if (closed.compareAndSet(false, true)) {
            serving.contexts().forEach(ReferenceCountUtil::release);
        }
    }

    /**
     * The context for {@code name}, retained for the handshake about to begin (see {@link
     * ReleasingSniHandler}): a reload may release it any moment after {@link #serving} is read.
     */
    private SslContext retained(String name) {
        while (true) {
            Certificates now = serving;
            SslContext context = now.byName().map(name);
            try {
                return ReferenceCountUtil.retain(context);
            } catch (IllegalReferenceCountException released) {
                if (serving == now) {
                    // Released without a replacement: Turnout is stopping.
                    throw released;
                }
                // A reload published new certificates and released these since the read: read again.
            }
        }
    }

    /** The certificates new handshakes are served, and how their last reading went. */
    public List<Status> status() {
        return serving.status();
    }

    /** Every certificate is read before any serves, so a bad one leaves all the running ones in place. */
    private static Certificates read(SslProvider provider, SessionTickets tickets, ProxyConfig.Tls tls) throws ConfigException {
        List<String> ciphers = tls.ciphers().isEmpty() ? DEFAULT_CIPHERS : tls.ciphers();
        List<String> problems = new ArrayList<>();
        List<SslContext> contexts = new ArrayList<>();
        List<Status> status = new ArrayList<>();
        DomainWildcardMappingBuilder<SslContext> names = null;
        for (int i = 0; i < tls.certificates().size(); i++) {
            ProxyConfig.Certificate certificate = tls.certificates().get(i);
            String key = "tls.certificates[" + i + "]";
            try {
                // The same reading and checks as `turnout check`, so both refuse a certificate alike.
                CertificateCheck.Loaded loaded = CertificateCheck.load(certificate, key, Instant.now());
                SslContext context = SslContextBuilder.forServer(loaded.key(), loaded.chain().toArray(X509Certificate[]::new))
                        .sessionCacheSize(SESSION_CACHE_SIZE)
                        .sessionTimeout(SessionTickets.ROTATE_EVERY.toSeconds())
                        // Reference-counted, so that a context replaced by a reload is freed now, not by the finalizer.
                        .sslProvider(provider == SslProvider.OPENSSL ? SslProvider.OPENSSL_REFCNT : provider)
                        .protocols(tls.protocols())
                        .ciphers(ciphers, SupportedCipherSuiteFilter.INSTANCE)
                        .applicationProtocolConfig(alpn(tls.alpn()))
                        .build();
                contexts.add(context);
                resumable(context, tickets, loaded.chain().get(0));
                if (names == null) {
                    names = new DomainWildcardMappingBuilder<>(context);
                }
                for (String name : loaded.names()) {
                    names.add(name, context);
                }
                status.add(new Status(loaded.names(), loaded.notAfter(), certificate.cert(), certificate.key(), loaded.chain().get(0), "ok"));
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            } catch (IOException | RuntimeException e) {
                problems.add(key + ": cannot load " + certificate.cert() + " with " + certificate.key() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            contexts.forEach(ReferenceCountUtil::release);
            throw new ConfigException(problems);
        }
        if (names == null) {
            throw new ConfigException(List.of("tls.certificates: none given"));
        }
        return new Certificates(names.build(), List.copyOf(contexts), List.copyOf(status));
    }

    /**
     * Caches sessions and issues tickets with the keys every context shares. A session resumes only
     * with the certificate it began with (the certificate's SHA-256 is the session id context), so a
     * reload keeps the sessions of the certificates it leaves alone and a renewed one is shown to every client.
     */
    private static void resumable(SslContext context, SessionTickets tickets, X509Certificate leaf) {
        if (context.sessionContext() instanceof OpenSslServerSessionContext sessions) {
            sessions.setSessionCacheEnabled(true);
            sessions.setSessionIdContext(sha256(leaf));
            tickets.applyTo(context);
        }
    }

    private static byte[] sha256(X509Certificate certificate) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot digest the certificate: " + e.getMessage(), e);
        }
    }

    /**
     * New session ticket keys every {@link SessionTickets#ROTATE_EVERY} on {@code executor}, which runs
     * the reloads too: a rotation never falls between a reload's reading and its publishing.
     */
    public void rotateTicketKeys(ScheduledExecutorService executor) {
        long every = SessionTickets.ROTATE_EVERY.toMillis();
        executor.scheduleWithFixedDelay(() -> {
            tickets.rotate();
            serving.contexts().forEach(tickets::applyTo);
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * The protocols offered, in the order of {@code tls.alpn}. A client that offers none of them
     * still gets HTTP/1.1 (NO_ADVERTISE, ACCEPT: what OpenSSL supports, and what browsers expect).
     */
    private static ApplicationProtocolConfig alpn(List<String> protocols) {
        return new ApplicationProtocolConfig(
                ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                protocols);
    }

    /** What the start line says: the provider in use. */
    public String providerName() {
        return provider == SslProvider.OPENSSL ? "OpenSSL " + OpenSsl.versionString() : "JDK " + System.getProperty("java.version");
    }

    /** The first handler of a new connection: reads the client hello and puts the matching SslHandler in its place. */
    SniHandler newHandler() {
        return new ReleasingSniHandler(byName);
    }

    /**
     * Gives back the reference {@link #retained} took once the SslHandler is in place: its engine
     * holds one of its own (ReferenceCountedOpenSslEngine retains its context until it is freed).
     */
    private static final class ReleasingSniHandler extends SniHandler {
        ReleasingSniHandler(Mapping<String, SslContext> byName) {
            super(byName);
        }

        @Override
        protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext context) throws Exception {
            try {
                super.replaceHandler(ctx, hostname, context);
            } finally {
                ReferenceCountUtil.release(context);
            }
        }
    }

    /** The header line every answer on the HTTPS listener carries; empty without {@code tls.hsts}. */
    byte[] hstsLine() {
        return hstsLine;
    }

}
