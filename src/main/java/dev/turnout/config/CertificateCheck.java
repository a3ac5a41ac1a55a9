package dev.turnout.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Reads a certificate chain and its private key from PEM files and refuses what a TLS listener
 * could not serve: unreadable files, not PEM, a key of another certificate, a chain out of order,
 * a certificate outside its validity. {@code turnout check} and the HTTPS listener load through it,
 * so a certificate that passes check is one the listener serves. Pure JDK: no provider to install.
 */
public final class CertificateCheck {

    /** A certificate expiring within this is worth a warning: renewal has had a month and failed. */
    public static final Duration WARN_WITHIN = Duration.ofDays(14);

    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
    private static final String EXPECTED_CHAIN = "expected: PEM, the certificate first, then each intermediate after the one it signs";
    private static final int DNS_NAME = 2;

    /**
     * A chain ready to serve.
     *
     * @param names    the DNS names of the subjectAltName of the first certificate, else its CN: what SNI matches
     * @param notAfter when the first certificate of the chain stops being valid, so the chain stops working
     */
    public record Loaded(List<X509Certificate> chain, PrivateKey key, List<String> names, Instant notAfter) {
        public Loaded {
            chain = List.copyOf(chain);
            names = List.copyOf(names);
        }

        /** A one-line warning when the chain stops working within {@link #WARN_WITHIN} of {@code now}. */
        public Optional<String> expiryWarning(String keyPath, Instant now) {
            if (notAfter.isAfter(now.plus(WARN_WITHIN))) {
                return Optional.empty();
            }
            long days = Duration.between(now, notAfter).toDays();
            return Optional.of(keyPath + ".cert: expires on " + notAfter.truncatedTo(ChronoUnit.SECONDS) + ", in " + days
                    + " day" + (days == 1 ? "" : "s") + " (renew it before then)");
        }
    }

    private CertificateCheck() {}

    /**
     * Loads {@code certificate}, the item {@code keyPath} (such as {@code tls.certificates[0]}) of the
     * config, as valid at {@code now}; each problem names {@code keyPath.cert} or {@code keyPath.key}.
     */
    public static Loaded load(ProxyConfig.Certificate certificate, String keyPath, Instant now) throws ConfigException {
        String certPath = keyPath + ".cert";
        String keyKeyPath = keyPath + ".key";
        List<X509Certificate> chain = chain(certPath, certificate.cert());
        PrivateKey key = privateKey(keyKeyPath, certificate.key());
        // Order first: a reversed chain would otherwise read as a key of another certificate.
        for (int i = 0; i + 1 < chain.size(); i++) {
            if (!signedBy(chain.get(i), chain.get(i + 1).getPublicKey())) {
                throw problem(certPath, "certificate " + (i + 1) + " (" + subject(chain.get(i)) + ") is not signed by certificate "
                        + (i + 2) + " (" + subject(chain.get(i + 1)) + ") (" + EXPECTED_CHAIN + ")");
            }
        }
        X509Certificate leaf = chain.get(0);
        if (!belongTogether(key, leaf.getPublicKey())) {
            throw problem(keyKeyPath, certificate.key() + " is not the key of the first certificate in " + certificate.cert()
                    + " (expected: the private key of " + subject(leaf) + ")");
        }
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            if (c.getNotAfter().toInstant().isBefore(now)) {
                throw problem(certPath, "certificate " + (i + 1) + " (" + subject(c) + ") expired on "
                        + c.getNotAfter().toInstant() + " (expected: a certificate valid now; renew it)");
            }
            if (c.getNotBefore().toInstant().isAfter(now)) {
                throw problem(certPath, "certificate " + (i + 1) + " (" + subject(c) + ") is not valid before "
                        + c.getNotBefore().toInstant() + " (expected: a certificate valid now; check the clock)");
            }
        }
        Instant notAfter = chain.stream().map(c -> c.getNotAfter().toInstant()).min(Comparator.naturalOrder()).orElseThrow();
        return new Loaded(chain, key, names(certPath, leaf), notAfter);
    }

    private static List<X509Certificate> chain(String keyPath, Path file) throws ConfigException {
        String text = read(keyPath, file);
        List<String> blocks = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (!m.group(1).equals("CERTIFICATE")) {
                throw problem(keyPath, file + " holds a " + m.group(1) + " block (" + EXPECTED_CHAIN + ")");
            }
            blocks.add(m.group());
        }
        if (blocks.isEmpty()) {
            throw problem(keyPath, file + " is not PEM (" + EXPECTED_CHAIN + ")");
        }
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> chain = new ArrayList<>();
            for (String block : blocks) {
                chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.getBytes(StandardCharsets.US_ASCII))));
            }
            return chain;
        } catch (CertificateException e) {
            throw problem(keyPath, file + " holds a certificate that cannot be read: " + e.getMessage() + " (" + EXPECTED_CHAIN + ")");
        }
    }

    private static PrivateKey privateKey(String keyPath, Path file) throws ConfigException {
        String expected = "expected: an unencrypted PKCS#8 key, -----BEGIN PRIVATE KEY-----";
        Matcher m = PEM.matcher(read(keyPath, file));
        if (!m.find()) {
            throw problem(keyPath, file + " is not PEM (" + expected + ")");
        }
        String convert = "; convert it with openssl pkcs8 -topk8 -nocrypt -in " + file + " -out " + file + ".pk8";
        switch (m.group(1)) {
            case "PRIVATE KEY" -> { }
            case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw problem(keyPath, file + " holds a " + m.group(1)
                    + " in the older format (" + expected + convert + ")");
            case "ENCRYPTED PRIVATE KEY" -> throw problem(keyPath, file + " is encrypted (" + expected + convert + ")");
            default -> throw problem(keyPath, file + " holds a " + m.group(1) + " block, not a private key (" + expected + ")");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(2).strip());
        } catch (IllegalArgumentException e) {
            throw problem(keyPath, file + " is not PEM: " + e.getMessage() + " (" + expected + ")");
        }
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisAlgorithm) {
                // the next algorithm may read it; PKCS#8 says which, but only a parser of its ASN.1 would tell
            }
        }
        throw problem(keyPath, file + " holds a key that is neither RSA nor EC (" + expected + ", RSA or EC)");
    }

    private static String read(String keyPath, Path file) throws ConfigException {
        try {
            // Latin-1 reads any bytes, so a DER or binary file is reported as not PEM rather than as unreadable.
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw problem(keyPath, file + ": no such file (expected: a readable PEM file)");
        } catch (AccessDeniedException e) {
            throw problem(keyPath, file + ": permission denied (expected: a file readable by the user Turnout runs as)");
        } catch (IOException e) {
            throw problem(keyPath, file + ": cannot be read: " + e.getMessage() + " (expected: a readable PEM file)");
        }
    }

    /** Signing with the key and verifying with the certificate proves the pair for RSA and EC alike. */
    private static boolean belongTogether(PrivateKey key, PublicKey certified) {
        if (!key.getAlgorithm().equals(certified.getAlgorithm())) {
            return false;
        }
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certified);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean signedBy(X509Certificate certificate, PublicKey issuer) {
        try {
            certificate.verify(issuer);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<String> names(String keyPath, X509Certificate leaf) throws ConfigException {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = leaf.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alternative : alternatives) {
                    if (alternative.get(0) instanceof Integer type && type == DNS_NAME) {
                        names.add((String) alternative.get(1));
                    }
                }
            }
        } catch (CertificateException e) {
            throw problem(keyPath, "the subjectAltName of " + subject(leaf) + " cannot be read: " + e.getMessage());
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(rdn.getValue().toString());
                    }
                }
            } catch (InvalidNameException e) {
                throw problem(keyPath, "the subject of the first certificate cannot be read: " + e.getMessage());
            }
        }
        if (names.isEmpty()) {
            throw problem(keyPath, subject(leaf) + " names no host (expected: DNS names in its subjectAltName, or a CN)");
        }
        return names;
    }

    private static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    private static ConfigException problem(String keyPath, String message) {
        return new ConfigException(List.of(keyPath + ": " + message));
    }
}
