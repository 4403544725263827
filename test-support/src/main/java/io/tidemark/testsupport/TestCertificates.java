package io.tidemark.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority of a test's own and the certificates it signs, made by the JDK's {@code keytool} and
 * written as PEM files, the form Mosquitto, Kafka and the Quarkus TLS registry read, or as PKCS#12 stores for Java
 * parties.
 */
public final class TestCertificates {

    /** A certificate and its private key, PEM files. */
    public record Issued(Path certificate, Path key) {
    }

    /** The password of every store this class writes. */
    public static final String PASSWORD = "test-only";
    private final Path dir;
    private final String authority;

    private TestCertificates(Path dir, String authority) {
        this.dir = dir;
        this.authority = authority;
    }

    /** A new authority named {@code name}, its files in {@code dir}. */
    public static TestCertificates authority(Path dir, String name) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestCertificates certificates = new TestCertificates(dir.toAbsolutePath(), name);
        certificates.keyPair(name, "CN=" + name, "bc:c");
        keytool("-exportcert", "-rfc", "-keystore", certificates.store(name).toString(), "-storepass", PASSWORD,
                "-alias", name, "-file", certificates.authorityCertificate().toString());
        return certificates;
    }

    /** The authority's own certificate: what a party that trusts it is given. */
    public Path authorityCertificate() {
        return dir.resolve(authority + ".pem");
    }

    /**
     * A certificate for {@code name}, signed by this authority.
     *
     * @param san its subject alternative names as keytool takes them ({@code dns:localhost,ip:127.0.0.1}), or null
     * @param usage its extended key usage: {@code serverAuth}, {@code clientAuth}, or both comma-separated
     */
    public Issued issue(String name, String san, String usage) {
        keyPair(name, "CN=" + name, null);
        Path request = dir.resolve(name + ".csr");
        Path certificate = dir.resolve(name + ".pem");
        keytool("-certreq", "-keystore", store(name).toString(), "-storepass", PASSWORD, "-alias", name,
                "-file", request.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-keystore", store(authority).toString(),
                "-storepass", PASSWORD, "-alias", authority, "-infile", request.toString(),
                "-outfile", certificate.toString(), "-validity", "2", "-ext", "eku=" + usage));
        if (san != null) {
            sign.addAll(List.of("-ext", "san=" + san));
        }
        keytool(sign.toArray(String[]::new));
        return new Issued(certificate, privateKey(name));
    }

    /**
     * A PKCS#12 key store with {@code name}'s key and its certificate chain up to this authority, the form a Java
     * server such as Cassandra reads; {@code name} must have been {@linkplain #issue issued} first.
     */
    public Path keyStore(String name) {
        keytool("-importcert", "-noprompt", "-keystore", store(name).toString(), "-storepass", PASSWORD,
                "-alias", authority, "-file", authorityCertificate().toString());
        keytool("-importcert", "-keystore", store(name).toString(), "-storepass", PASSWORD, "-alias", name,
                "-file", dir.resolve(name + ".pem").toString());
        return store(name);
    }

    /** A PKCS#12 trust store holding this authority alone, the form a Java client reads. */
    public Path trustStore() {
        Path trust = dir.resolve(authority + "-trust.p12");
        keytool("-importcert", "-noprompt", "-keystore", trust.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD,
                "-alias", authority, "-file", authorityCertificate().toString());
        return trust;
    }

    /** A TLS context that trusts this authority alone, for a Java client that takes one (a driver's own session). */
    public SSLContext sslContext() {
        return sslContext(null);
    }

    /**
     * A TLS context that trusts this authority alone and shows the key and certificate of {@code keyStore} (one of
     * {@link #keyStore}'s) when a server asks for a client certificate; none with null.
     */
    public SSLContext sslContext(Path keyStore) {
        try (InputStream in = Files.newInputStream(authorityCertificate())) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry(authority, CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            KeyManager[] keys = null;
            if (keyStore != null) {
                KeyManagerFactory shown = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                shown.init(load(keyStore), PASSWORD.toCharArray());
                keys = shown.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void keyPair(String alias, String subject, String extension) {
        List<String> generate = new ArrayList<>(List.of("-genkeypair", "-keystore", store(alias).toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-alias", alias, "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", subject, "-validity", "2"));
        if (extension != null) {
            generate.addAll(List.of("-ext", extension));
        }
        keytool(generate.toArray(String[]::new));
    }

    /** keytool keeps keys in its store; Mosquitto reads them as PKCS#8 PEM. */
    private Path privateKey(String alias) {
        try {
            Key key = load(store(alias)).getKey(alias, PASSWORD.toCharArray());
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            Path file = dir.resolve(alias + "-key.pem");
            Files.writeString(file, pem, StandardCharsets.US_ASCII);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore load(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD.toCharArray());
            return store;
        }
    }

    private Path store(String alias) {
        return dir.resolve(alias + ".p12");
    }

    private static void keytool(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        try {
            Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (run.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
