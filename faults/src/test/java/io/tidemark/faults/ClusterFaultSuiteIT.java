package io.tidemark.faults;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tidemark.testsupport.PrivateStack;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.Test;

/**
 * The short cluster scenario inside ./mvnw verify: three brokers and three Cassandra nodes, two ingest
 * and two dedup replicas; the broker leading most raw partitions is killed with SIGKILL and, while it is
 * down, one Cassandra node is frozen with SIGSTOP, under a retrying load with duplicates and late events.
 * The six scenarios of the issue run with faults/run --cluster.
 */
class ClusterFaultSuiteIT {

    /** How long a client keeps retrying one event before it gives up (the SDKs' budgets are longer). */
    private static final long RETRY_BUDGET_SECONDS = 30;

    @Test
    void noAcknowledgedEventIsLostOrDoubledWhenTheLeadBrokerDiesAndACassandraNodeFreezes() throws Exception {
        FaultSettings settings = FaultSettings.of(true, true);
        List<ScenarioResult> results;
        try (PrivateStack cluster = settings.privateStack(SharedPrivateStack.root())) {
            cluster.ensureFresh();
            results = new FaultSuite(SharedPrivateStack.root(), settings)
                    .runOn(cluster, List.of(Scenario.KILL_BROKER_FREEZE_CASSANDRA));
        }
        System.out.print(ScenarioResult.table(results));

        assertEquals(1, results.size());
        ScenarioResult result = results.get(0);
        List<Executable> checks = new ArrayList<>(ScenarioAssertions.nothingLostOrDoubled(result));
        checks.add(() -> assertEquals(0, result.martMismatchDays(), "mart disagrees with the acknowledged counts: " + result));
        checks.add(() -> assertTrue(result.rates().longestGapSeconds() < RETRY_BUDGET_SECONDS,
                "acknowledgements stopped for longer than a client retries: " + result));
        checks.add(() -> assertTrue(result.lag().recoverySeconds().isPresent(),
                "dedup's lag never fell back to where it stood before the fault: " + result));
        assertAll(result.scenario(), checks.stream());
    }
}
