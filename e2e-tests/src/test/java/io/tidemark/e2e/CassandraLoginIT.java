package io.tidemark.e2e;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.ServiceProcess;
import io.tidemark.testsupport.TestCertificates;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * dedup and mart against a Cassandra that asks every client for a login (PasswordAuthenticator) and takes TLS
 * connections only, with a client certificate, as production clusters run, with certificates from an authority of its
 * own. The services log in as a role of their own, trust that authority and show a certificate it signed as a Kubernetes
 * Deployment hands over a Secret: {@code QUARKUS_CASSANDRA_AUTH_USERNAME} and {@code _PASSWORD},
 * {@code TIDEMARK_CASSANDRA_SSL_ENGINE_FACTORY}, {@code TIDEMARK_CASSANDRA_TRUSTSTORE_*} and
 * {@code TIDEMARK_CASSANDRA_KEYSTORE_*} in their environment. The launcher makes the schema over TLS with the stack's
 * own login, through the schema runner's driver settings. An event is stored and counted by mart's API, and the bulk
 * loader keeps its watermark there with the login its job file names. With a wrong password, without TLS, or without a
 * client certificate, dedup never reports ready and says why in its log.
 */
class CassandraLoginIT {

    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final String ROLE = "tidemark_services";
    private static final String PASSWORD = "s3cret-for-cassandra";
    /**
     * What the driver logs when the node closes its connection at the first request: a plain connection to a node that
     * takes TLS only, or TLS without the client certificate it asks for (the alert's name stays in the driver's cause).
     */
    private static final String CLOSED_AT_FIRST_REQUEST = "step 1 (OPTIONS): unexpected failure";
    /** The TLS alert of a node that asks for a client certificate and is shown none. */
    private static final Pattern NO_CERTIFICATE_ALERT = Pattern.compile("fatal alert: (bad_certificate|certificate_required)");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String source = "login-" + run;
    private final String writeKey = "login-key-" + run;
    private Path trustStore;
    private Path keyStore;
    private SSLContext trusting;

    @Test
    void dedupAndMartLogInAsTheirRoleOverTlsWithACertificateAndAWrongPasswordPlainConnectionOrNoCertificateKeepsDedupUnready() throws Exception {
        Path root = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
        Path dir = Path.of("target", "login-stack-" + run).toAbsolutePath();
        TestCertificates authority = TestCertificates.authority(dir.resolve("tls"), "cassandra-test-ca");
        authority.issue("cassandra-node", "ip:127.0.0.1,dns:localhost", "serverAuth");
        Path nodeStore = authority.keyStore("cassandra-node");
        authority.issue("tidemark-client", null, "clientAuth");
        keyStore = authority.keyStore("tidemark-client");
        trustStore = authority.trustStore();
        trusting = authority.sslContext(keyStore);
        try (PrivateStack stack = PrivateStack.of(root, dir, PrivateStack.Ports.free(), List.of(
                "-Dtidemark.stack.kafka.heap=256m", "-Dtidemark.stack.cassandra.heap=512m", PrivateStack.NO_STOP_GRACE,
                "-Dtidemark.stack.cassandra.authenticator=PasswordAuthenticator",
                "-Dtidemark.stack.cassandra.tls.keystore=" + nodeStore,
                "-Dtidemark.stack.cassandra.tls.keystore.password=" + TestCertificates.PASSWORD,
                "-Dtidemark.stack.cassandra.tls.truststore=" + trustStore,
                "-Dtidemark.stack.cassandra.tls.truststore.password=" + TestCertificates.PASSWORD))
                        .launcherEnvironment(tls());
                ServiceGroup services = new ServiceGroup("login")) {
            stack.ensure();
            createRole(stack.cassandraPort());
            String kafka = "kafka.bootstrap.servers=" + stack.kafkaBootstrap();
            String cassandra = "quarkus.cassandra.contact-points=127.0.0.1:" + stack.cassandraPort();
            Path marts = Files.createDirectories(Path.of("target", "e2e-marts", source)).toAbsolutePath();

            ServiceProcess ingest = services.add("ingest-service", List.of(kafka,
                    "tidemark.ingest.sources." + source + ".write-keys=" + writeKey), Map.of());
            ServiceProcess dedup = services.add("dedup-service", List.of(kafka, cassandra), login(PASSWORD));
            ServiceProcess mart = services.add("mart-service", List.of(cassandra, "tidemark.mart.export.root=" + marts,
                    "tidemark.mart.export.sources=" + source, "tidemark.mart.export.every=off"), login(PASSWORD));
            for (ServiceProcess service : List.of(ingest, dedup, mart)) {
                service.launch();
            }
            for (ServiceProcess service : List.of(ingest, dedup, mart)) {
                service.awaitReady();
            }

            assertEquals(200, IngestCall.track(ingest, writeKey, "login-" + UUID.randomUUID(), "Logged In To Cassandra")
                    .statusCode());
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            await("mart counts the event dedup stored").atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> dailyEvents(mart, today), events -> events == 1);

            // The bulk loader keeps its watermark in the same Cassandra, logging in as the job file says.
            LocalDate yesterday = today.minusDays(1);
            Path jobs = Files.createDirectories(dir.resolve("jobs"));
            Files.writeString(jobs.resolve("rows.yaml"), """
                    job: rows-%s
                    source:
                      jdbc-url: "jdbc:duckdb:"
                      table: rows
                      key: [id]
                      query: >-
                        SELECT * FROM (VALUES (1, 'u-1', TIMESTAMPTZ '%sT12:00:00Z')) AS t(id, user_id, updated_at)
                        WHERE updated_at >= :from AND updated_at < :to
                    mapping:
                      event: Row Loaded
                      user-id: user_id
                      timestamp: updated_at
                    ingest:
                      url: %s
                    window:
                      start: %sT00:00:00Z
                    watermark:
                      contact-points: 127.0.0.1:%d
                      username: %s
                    """.formatted(run, yesterday, ingest.uri("").toString().replaceAll("/$", ""), yesterday.minusDays(1),
                    stack.cassandraPort(), ROLE));
            Map<String, String> loaderEnvironment = new HashMap<>(tls());
            loaderEnvironment.putAll(Map.of("TIDEMARK_WRITE_KEY", writeKey, "TIDEMARK_CASSANDRA_PASSWORD", PASSWORD));
            BulkLoaderProcess load = BulkLoaderProcess.start(loaderEnvironment, "--job", "rows", "--jobs-dir", jobs.toString());
            assertEquals(0, load.awaitExit(PATIENCE), load.output() + "\n" + load.progress());
            assertEquals(1, load.summary().get("accepted").asLong(), load.output());
            try (CqlSession admin = superuser(stack.cassandraPort())) {
                assertTrue(admin.execute("SELECT loaded_through FROM tidemark.bulk_watermarks WHERE job = ?", "rows-" + run)
                        .one() != null, "the watermark is stored");
            }
            await("mart counts the loaded row").atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> dailyEvents(mart, yesterday), events -> events == 1);

            ServiceProcess refused = services.add("dedup-service", List.of(kafka, cassandra), login("not-" + PASSWORD));
            ServiceProcess plain = services.add("dedup-service", List.of(kafka, cassandra),
                    Map.of("QUARKUS_CASSANDRA_AUTH_USERNAME", ROLE, "QUARKUS_CASSANDRA_AUTH_PASSWORD", PASSWORD));
            Map<String, String> withoutCertificate = new HashMap<>(login(PASSWORD));
            withoutCertificate.keySet().removeIf(name -> name.startsWith("TIDEMARK_CASSANDRA_KEYSTORE_"));
            ServiceProcess uncertified = services.add("dedup-service", List.of(kafka, cassandra), withoutCertificate);
            refused.launch();
            plain.launch();
            uncertified.launch();
            await("dedup with a wrong Cassandra password says why").atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> refused.logText().contains("Provided username " + ROLE + " and/or password are incorrect"));
            assertFalse(refused.ready(), "dedup ready without a valid login");
            await("dedup without TLS says why").atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> plain.logText().contains(CLOSED_AT_FIRST_REQUEST));
            assertFalse(plain.ready(), "dedup ready without TLS");
            await("dedup without a client certificate says why").atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> uncertified.logText().contains(CLOSED_AT_FIRST_REQUEST));
            assertFalse(uncertified.ready(), "dedup ready without a client certificate");
            assertRefusedWithoutCertificate(stack.cassandraPort(), authority);
        }
    }

    /** The node itself refuses a session that trusts it and logs in but shows no certificate, with the TLS alert. */
    private static void assertRefusedWithoutCertificate(int port, TestCertificates authority) {
        AllNodesFailedException refused = assertThrows(AllNodesFailedException.class,
                () -> session(port, authority.sslContext(), ROLE, PASSWORD).close());
        StringWriter causes = new StringWriter();
        refused.printStackTrace(new PrintWriter(causes));
        assertTrue(NO_CERTIFICATE_ALERT.matcher(causes.toString()).find(), causes.toString());
    }

    /** A login role of the services' own, made by the stack's superuser. */
    private void createRole(int port) {
        try (CqlSession admin = superuser(port)) {
            admin.execute("CREATE ROLE IF NOT EXISTS " + ROLE + " WITH PASSWORD = '" + PASSWORD + "' AND LOGIN = true");
        }
    }

    /** The stack's own login, its node's default superuser, over TLS with the client's certificate. */
    private CqlSession superuser(int port) {
        return session(port, trusting, "cassandra", "cassandra");
    }

    private static CqlSession session(int port, SSLContext tls, String user, String password) {
        return CqlSession.builder().addContactPoint(new InetSocketAddress("127.0.0.1", port)).withSslContext(tls)
                .withLocalDatacenter("datacenter1").withAuthCredentials(user, password).build();
    }

    /** The driver settings for TLS to the node with the client's certificate, as a Deployment gives them. */
    private Map<String, String> tls() {
        return Map.of("TIDEMARK_CASSANDRA_SSL_ENGINE_FACTORY", "DefaultSslEngineFactory",
                "TIDEMARK_CASSANDRA_TRUSTSTORE_PATH", trustStore.toString(),
                "TIDEMARK_CASSANDRA_TRUSTSTORE_PASSWORD", TestCertificates.PASSWORD,
                "TIDEMARK_CASSANDRA_KEYSTORE_PATH", keyStore.toString(),
                "TIDEMARK_CASSANDRA_KEYSTORE_PASSWORD", TestCertificates.PASSWORD);
    }

    private Map<String, String> login(String password) {
        Map<String, String> environment = new HashMap<>(tls());
        environment.putAll(Map.of("QUARKUS_CASSANDRA_AUTH_USERNAME", ROLE, "QUARKUS_CASSANDRA_AUTH_PASSWORD", password));
        return environment;
    }

    /** Exports the source now, and answers its events of {@code day} from mart's API (0 before the first export). */
    private long dailyEvents(ServiceProcess mart, LocalDate day) throws Exception {
        return MartCall.dailyEvents(mart, source, day, day).getOrDefault(day, 0L);
    }
}
