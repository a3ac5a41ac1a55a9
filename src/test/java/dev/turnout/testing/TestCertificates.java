package dev.turnout.testing;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Real certificates made in the test, so no test depends on files that expire or on a CA. */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(1);
    private static final Base64.Encoder PEM_BASE64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

    /** A certificate and its key pair; {@code issuer} signs the ones it issues. */
    public record Issued(X509Certificate certificate, KeyPair keys) {
        public String subject() {
            return certificate.getSubjectX500Principal().getName();
        }
    }

    private TestCertificates() {}

    public static KeyPair ecKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    /** A self-signed CA. */
    public static Issued root(String cn) throws Exception {
        KeyPair keys = ecKeys();
        return new Issued(build(cn, keys, "CN=" + cn, keys, Instant.now().minusSeconds(3600), Instant.now().plusSeconds(3650L * 86400), true), keys);
    }

    /** A CA signed by {@code issuer}. */
    public static Issued intermediate(String cn, Issued issuer) throws Exception {
        KeyPair keys = ecKeys();
        return new Issued(build(cn, keys, issuer.subject(), issuer.keys(), Instant.now().minusSeconds(3600),
                Instant.now().plusSeconds(365L * 86400), true), keys);
    }

    /** A server certificate for {@code dnsNames} (IPv4 literals become IP address names; none: a CN only), valid from {@code notBefore} to {@code notAfter}. */
    public static Issued leaf(String cn, Issued issuer, Instant notBefore, Instant notAfter, String... dnsNames) throws Exception {
        KeyPair keys = ecKeys();
        return new Issued(build(cn, keys, issuer.subject(), issuer.keys(), notBefore, notAfter, false, dnsNames), keys);
    }

    /**
     * A fresh CA and a certificate it signed for localhost and 127.0.0.1, written as
     * {@code dir/NAME.crt} and {@code dir/NAME.key}; returns the CA, for a client to trust.
     */
    public static Issued writeLocalhost(Path dir, String name) throws Exception {
        Issued ca = root("Turnout test CA " + name);
        Issued leaf = leaf("localhost", ca, Instant.now().minusSeconds(60), Instant.now().plusSeconds(86400), "localhost", "127.0.0.1");
        writeChain(dir.resolve(name + ".crt"), leaf);
        writeKey(dir.resolve(name + ".key"), leaf);
        return ca;
    }

    /** A client TLS context that trusts {@code ca} alone. */
    public static javax.net.ssl.SSLContext trusting(Issued ca) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** {@code certificates} in PEM, in the order given, as fullchain.pem holds them. */
    public static Path writeChain(Path file, Issued... certificates) throws Exception {
        StringBuilder pem = new StringBuilder();
        for (Issued c : certificates) {
            pem.append(pem("CERTIFICATE", c.certificate().getEncoded()));
        }
        return Files.writeString(file, pem);
    }

    /** The private key in PKCS#8 PEM, as privkey.pem holds it. */
    public static Path writeKey(Path file, Issued owner) throws Exception {
        return Files.writeString(file, pem("PRIVATE KEY", owner.keys().getPrivate().getEncoded()));
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + PEM_BASE64.encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static X509Certificate build(String cn, KeyPair keys, String issuer, KeyPair issuerKeys, Instant notBefore, Instant notAfter,
                                         boolean ca, String... dnsNames) throws Exception {
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + cn),
                keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (dnsNames.length > 0) {
            GeneralName[] names = new GeneralName[dnsNames.length];
            for (int i = 0; i < dnsNames.length; i++) {
                boolean ip = dnsNames[i].chars().allMatch(c -> c == '.' || Character.isDigit(c));
                names[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, dnsNames[i]);
            }
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        }
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }
}
