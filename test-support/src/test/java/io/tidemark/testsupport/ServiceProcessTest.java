package io.tidemark.testsupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceProcessTest {

    @TempDir
    Path root;

    /**
     * A CI log is all there is of a start that timed out on another machine (the service's own log stays
     * there): the failure names the readiness answer, the failing check and the log's last lines.
     */
    @Test
    void aStartThatNeverGetsReadyFailsWithTheProbeTheLogAndAThreadDump() throws Exception {
        packageNeverReadyService(root.resolve("never-ready/target/quarkus-app"));
        ServiceProcess service = ServiceProcess.of(root, "never-ready").profile(null).log(root, "never-ready.log")
                .readyTimeout(Duration.ofSeconds(3)).build();
        try {
            service.launch();
            IllegalStateException failure = assertThrows(IllegalStateException.class, service::awaitReady);
            String report = failure.getMessage();
            assertTrue(report.startsWith("never-ready (pid " + service.pid() + ") not ready within 3 s"), report);
            assertTrue(report.contains("the last probe: 503 { \"status\": \"DOWN\", \"checks\": [ { \"name\": \"a dependency\""),
                    report);
            assertTrue(report.contains("/q/health/live: 404"), report);
            assertTrue(report.contains(NeverReadyService.LAST_LINE), report);
            assertTrue(report.contains("a thread dump follows in its log"), report);
            await().atMost(Duration.ofSeconds(10)).until(() -> service.logText().contains("Full thread dump"));
        } finally {
            service.close();
        }
    }

    /**
     * A service whose public port was taken between the test choosing it and the service binding it says
     * UP on its management port and then exits: ready must wait for the public port too.
     */
    @Test
    void readinessWithoutAPublicPortIsNotReady() throws Exception {
        packageNeverReadyService(root.resolve("says-up/target/quarkus-app"));
        ServiceProcess service = ServiceProcess.of(root, "says-up").profile(null).log(root, "says-up.log")
                .properties(List.of("never-ready.says-up=true")).readyTimeout(Duration.ofSeconds(3)).build();
        try {
            service.launch();
            await().atMost(Duration.ofSeconds(30)).until(() -> service.logText().contains(NeverReadyService.LAST_LINE));
            assertFalse(service.ready());
            IllegalStateException failure = assertThrows(IllegalStateException.class, service::awaitReady);
            assertTrue(failure.getMessage().contains("the last probe: readiness 200, but nothing listens on the public port"),
                    failure.getMessage());
        } finally {
            service.close();
        }
    }

    /** A runnable jar where ServiceProcess looks for a packaged service, holding the stand-in's class only. */
    private static void packageNeverReadyService(Path app) throws IOException {
        Files.createDirectories(app);
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, NeverReadyService.class.getName());
        String entry = NeverReadyService.class.getName().replace('.', '/') + ".class";
        try (OutputStream file = Files.newOutputStream(app.resolve("quarkus-run.jar"));
                JarOutputStream jar = new JarOutputStream(file, manifest);
                InputStream bytes = NeverReadyService.class.getClassLoader().getResourceAsStream(entry)) {
            jar.putNextEntry(new JarEntry(entry));
            bytes.transferTo(jar);
            jar.closeEntry();
        }
    }
}
