package io.tidemark.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyTest {

    @TempDir
    Path dir;

    @Test
    void clusterNodesGetAnAddressAndANameOfTheirOwn() {
        assertEquals(List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"),
                Topology.CLUSTER.each(i -> Topology.nodeHost("127.0.0.1", i)));
        assertEquals(List.of("kafka", "kafka-2", "kafka-3"), Topology.CLUSTER.each(i -> Topology.nodeName("kafka", i)));
        assertEquals(List.of("cassandra"), Topology.SINGLE.each(i -> Topology.nodeName("cassandra", i)));
        assertThrows(StackException.class, () -> Topology.nodeHost("127.0.0.253", 3));
    }

    @Test
    void replicasAreTwoOfIngestAndDedupOnAClusterAndOneOfMart() {
        assertEquals(2, Topology.CLUSTER.replicas("ingest-service"));
        assertEquals(2, Topology.CLUSTER.replicas("dedup-service"));
        assertEquals(1, Topology.CLUSTER.replicas("mart-service"));
        assertEquals(1, Topology.SINGLE.replicas("ingest-service"));
    }

    @Test
    void clusterTokensSplitMurmur3sRangeIntoEqualThirds() {
        BigInteger min = BigInteger.TWO.pow(63).negate();
        BigInteger max = BigInteger.TWO.pow(63).subtract(BigInteger.ONE);
        List<BigInteger> tokens = Topology.CLUSTER.each(i -> new BigInteger(CassandraNode.token(Topology.CLUSTER, i)));
        assertEquals(min, tokens.get(0));
        BigInteger third = BigInteger.TWO.pow(64).divide(BigInteger.valueOf(3));
        for (int i = 1; i < tokens.size(); i++) {
            assertEquals(third, tokens.get(i).subtract(tokens.get(i - 1)), "distance between node " + i + " and " + (i + 1));
            assertTrue(tokens.get(i).compareTo(max) <= 0);
        }
        assertEquals("0", CassandraNode.token(Topology.SINGLE, 1));
    }

    @Test
    void aClusterKeepsTwoCopiesInSyncAndOneNodeOne() {
        assertEquals(2, KafkaNode.minInSyncReplicas(Topology.CLUSTER));
        assertEquals(1, KafkaNode.minInSyncReplicas(Topology.SINGLE));
    }

    @Test
    void theBrokerTemplateNamesEveryVoterAndTheReplicationOfACluster() {
        String rendered = TemplateRenderer.render(TemplateRenderer.resource("kafka/server.properties"), Map.of(
                "node_id", "2", "quorum", "controller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.2:9093,3@127.0.0.3:9093",
                "replicas", "3", "min_isr", "2", "host", "127.0.0.2", "port", "9092", "controller_port", "9093",
                "kafka_dir", "/tmp/k"));
        assertTrue(rendered.contains("\nnode.id=2\n"), rendered);
        assertTrue(rendered.contains("\ncontroller.quorum.voters=1@127.0.0.1:9093,2@127.0.0.2:9093,3@127.0.0.3:9093\n"), rendered);
        assertTrue(rendered.contains("\noffsets.topic.replication.factor=3\n"), rendered);
        assertTrue(rendered.contains("\nmin.insync.replicas=2\n"), rendered);
        assertTrue(rendered.contains("\nunclean.leader.election.enable=false\n"), rendered);
    }

    @Test
    void aDirectoryKeepsTheTopologyItStartedWith() throws IOException {
        StackLayout layout = new StackLayout(dir, dir.resolve("local"));
        assertEquals(Topology.SINGLE, StackCli.topology(layout, "status", false));
        Topology.CLUSTER.record(layout);
        // Later commands find every node even without --cluster.
        assertEquals(Topology.CLUSTER, StackCli.topology(layout, "down", false));
        assertEquals(Topology.CLUSTER, StackCli.topology(layout, "up", true));

        StackLayout single = new StackLayout(dir, dir.resolve("single"));
        Topology.SINGLE.record(single);
        StackException refused = assertThrows(StackException.class, () -> StackCli.topology(single, "up", true));
        assertTrue(refused.getMessage().contains("single-node stack"), refused.getMessage());
        assertTrue(Files.exists(single.runDir().resolve("topology")));
    }
}
