package io.tidemark.faults;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import io.tidemark.testsupport.PrivateStack;
import org.junit.jupiter.api.Test;

/**
 * The short subset of the fault suite inside ./mvnw verify: dedup killed with SIGKILL mid-load and
 * Cassandra stopped mid-load, on a private stack, with a retrying client that sends duplicates.
 */
class FaultSuiteIT {

    @Test
    void everyAcknowledgedEventIsStoredOnceOnItsDayThroughDedupKillAndCassandraOutage() throws Exception {
        FaultSettings settings = FaultSettings.of(true);
        PrivateStack stack = SharedPrivateStack.get(settings);
        List<ScenarioResult> results = new FaultSuite(SharedPrivateStack.root(), settings)
                .runOn(stack, List.of(Scenario.KILL_DEDUP, Scenario.CASSANDRA_STOP));
        System.out.print(ScenarioResult.table(results));

        assertEquals(2, results.size());
        for (ScenarioResult result : results) {
            assertAll(result.scenario(), ScenarioAssertions.nothingLostOrDoubled(result).stream());
        }
    }
}
