package io.tidemark.schema;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchemaMainTest {

    private static final Map<String, String> COMPLETE = Map.of(
            SchemaMain.CONTACT_POINTS, "cassandra-0:9042,cassandra-1",
            SchemaMain.LOCAL_DATACENTER, "dc1",
            SchemaMain.REPLICATION, "dc1:3");

    @Test
    void contactPointsWithoutAPortUseTheCqlPort() {
        CassandraTarget target = SchemaMain.target(COMPLETE);
        assertEquals(2, target.contactPoints().size());
        assertEquals(9042, target.contactPoints().get(1).getPort());
        assertEquals("cassandra-1", target.contactPoints().get(1).getHostString());
        assertTrue(target.credentials().isEmpty());
    }

    @Test
    void aMissingOrWrongSettingExitsTwoNamingIt() {
        assertRefused(without(SchemaMain.CONTACT_POINTS), SchemaMain.CONTACT_POINTS);
        assertRefused(without(SchemaMain.LOCAL_DATACENTER), SchemaMain.LOCAL_DATACENTER);
        assertRefused(without(SchemaMain.REPLICATION), SchemaMain.REPLICATION);
        assertRefused(with(SchemaMain.REPLICATION, "{'class': 'SimpleStrategy'}"), "replication");
        assertRefused(with(SchemaMain.CONTACT_POINTS, "cassandra:port"), SchemaMain.CONTACT_POINTS);
        assertRefused(with(SchemaMain.KEYSPACE, "tidemark; DROP KEYSPACE x"), SchemaMain.KEYSPACE);
        assertRefused(with(SchemaMain.REQUEST_TIMEOUT, "0"), SchemaMain.REQUEST_TIMEOUT);
        assertRefused(with(SchemaMain.USERNAME, "tidemark"), SchemaMain.PASSWORD);
    }

    private static void assertRefused(Map<String, String> env, String named) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, SchemaMain.run(env), env.toString());
        } finally {
            System.setErr(err);
        }
        String message = captured.toString(StandardCharsets.UTF_8);
        assertTrue(message.contains(named), "names " + named + ": " + message);
    }

    private static Map<String, String> without(String name) {
        Map<String, String> env = new HashMap<>(COMPLETE);
        env.remove(name);
        return env;
    }

    private static Map<String, String> with(String name, String value) {
        Map<String, String> env = new HashMap<>(COMPLETE);
        env.put(name, value);
        return env;
    }
}
