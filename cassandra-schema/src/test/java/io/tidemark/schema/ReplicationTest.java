package io.tidemark.schema;

import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicationTest {

    @Test
    void dataCentresWithFactorsAreNetworkTopologyReplication() {
        Replication replication = Replication.parse("dc1:3, dc2:2");
        assertEquals(Map.of("dc1", 3, "dc2", 2), replication.datacenters());
        assertEquals("dc1:3,dc2:2", replication.toString());
        String cql = replication.strategy().createCqlStatement();
        assertTrue(cql.contains("NetworkTopologyStrategy") && cql.contains("'dc1'") && cql.contains("'dc2'"), cql);
    }

    @Test
    void simpleIsOneLocalNodesReplication() {
        Replication replication = Replication.parse("simple:1");
        assertEquals(Map.of(), replication.datacenters());
        assertTrue(replication.strategy().createCqlStatement().contains("SimpleStrategy"));
    }

    @Test
    void aMalformedReplicationIsRefusedNamingThePart() {
        for (String bad : new String[] {"", "dc1", "dc1:0", "dc1:x", ":3", "dc1:3,dc1:2", "simple:1,dc1:3", "dc1:3:4"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Replication.parse(bad), bad);
            assertTrue(e.getMessage().contains("replication"), e.getMessage());
        }
    }
}
