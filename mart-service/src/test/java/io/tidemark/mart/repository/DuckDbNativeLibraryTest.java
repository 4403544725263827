package io.tidemark.mart.repository;

import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A native image must carry the JNI library DuckDB unpacks at run time, under the name this DuckDB release uses. */
class DuckDbNativeLibraryTest {

    @Test
    void theNativeImageIncludesDuckDbsLinuxLibrariesByTheirNamesInTheDriverJar() throws Exception {
        Properties properties = new Properties();
        try (InputStream in = DuckDbNativeLibraryTest.class.getResourceAsStream("/application.properties")) {
            properties.load(in);
        }
        List<String> includes = List.of(properties.getProperty("quarkus.native.resources.includes", "").split(","));
        assertTrue(includes.contains("libduckdb_java.so_linux_amd64"), "the image of the Deployments' platform: " + includes);
        for (String include : includes) {
            assertNotNull(DuckDBDriver.class.getResource("/" + include.strip()),
                    include + " is not in the DuckDB jar: its native library was renamed; update the includes");
        }
    }
}
