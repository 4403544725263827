package io.tidemark.schema;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.DefaultWriteType;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.ReadTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.SyntaxError;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.cognitor.cassandra.migration.MigrationException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which failures of an owner's migration are tried again, how often and after what wait; the tries are scripted, the waits recorded. */
class MigrationAttemptsTest {

    /** The CI failure: the lead's lightweight transaction timed out on a starting three-node cluster. */
    private static final WriteTimeoutException CAS_TIMEOUT =
            new WriteTimeoutException(null, ConsistencyLevel.SERIAL, 1, 2, DefaultWriteType.CAS);

    private final RecordedWaits waits = new RecordedWaits();

    @Test
    void aLightweightTransactionTimeoutIsTriedAgainAfterAPause() {
        ScriptedTries tries = new ScriptedTries(CAS_TIMEOUT);
        assertEquals("version 0 -> 3", MigrationAttempts.run("dedup", tries, waits));
        assertEquals(2, tries.count);
        assertEquals(List.of(MigrationAttempts.TIMEOUT_PAUSE), waits.pauses);
        assertEquals(0, waits.agreements);
    }

    @Test
    void everyKindOfCoordinatorTimeoutIsTriedAgainAlsoInsideAScriptsFailure() {
        List<RuntimeException> timeouts = List.of(
                new CASWriteUnknownException(null, ConsistencyLevel.SERIAL, 1, 2),
                new ReadTimeoutException(null, ConsistencyLevel.QUORUM, 1, 2, false),
                new WriteTimeoutException(null, ConsistencyLevel.QUORUM, 1, 2, DefaultWriteType.SIMPLE),
                // A statement of a script: the library wraps what the driver threw.
                new MigrationException("Error during migration of script 002_index_layouts.cql", CAS_TIMEOUT, "002_index_layouts.cql"));
        for (RuntimeException timeout : timeouts) {
            assertEquals(MigrationAttempts.Verdict.COORDINATOR_TIMEOUT, MigrationAttempts.verdict(timeout), timeout.toString());
            RecordedWaits waited = new RecordedWaits();
            assertEquals("version 0 -> 3", MigrationAttempts.run("dedup", new ScriptedTries(timeout), waited), timeout.toString());
            assertEquals(List.of(MigrationAttempts.TIMEOUT_PAUSE), waited.pauses, timeout.toString());
        }
    }

    @Test
    void timeoutsAreTriedABoundedNumberOfTimesThenTheLastOneIsThrown() {
        List<RuntimeException> failures = new ArrayList<>();
        for (int i = 0; i < MigrationAttempts.TIMEOUT_ATTEMPTS + 1; i++) {
            failures.add(new WriteTimeoutException(null, ConsistencyLevel.SERIAL, 1, 2, DefaultWriteType.CAS));
        }
        ScriptedTries tries = new ScriptedTries(failures.toArray(RuntimeException[]::new));
        DriverException thrown = assertThrows(WriteTimeoutException.class, () -> MigrationAttempts.run("dedup", tries, waits));
        assertEquals(MigrationAttempts.TIMEOUT_ATTEMPTS, tries.count);
        assertSame(failures.get(MigrationAttempts.TIMEOUT_ATTEMPTS - 1), thrown);
        assertEquals(MigrationAttempts.TIMEOUT_ATTEMPTS - 1, waits.pauses.size());
    }

    @Test
    void aScriptTimingOutForGoodIsReportedNamingTheOwnerScriptAndTimeout() {
        RuntimeException[] failures = new RuntimeException[MigrationAttempts.TIMEOUT_ATTEMPTS];
        for (int i = 0; i < failures.length; i++) {
            failures[i] = new MigrationException("Error during migration", CAS_TIMEOUT, "002_index_layouts.cql");
        }
        SchemaException thrown = assertThrows(SchemaException.class,
                () -> MigrationAttempts.run("dedup", new ScriptedTries(failures), waits));
        assertTrue(thrown.getMessage().startsWith("dedup: ") && thrown.getMessage().contains("002_index_layouts.cql")
                && thrown.getMessage().contains("CAS write"), thrown.getMessage());
    }

    @Test
    void aTableNotYetOnEveryNodeWaitsForSchemaAgreementNotAPause() {
        InvalidQueryException missing = new InvalidQueryException(null, "table dedup_schema_migration does not exist");
        assertEquals("version 0 -> 3", MigrationAttempts.run("dedup", new ScriptedTries(missing, missing), waits));
        assertEquals(2, waits.agreements);
        assertEquals(List.of(), waits.pauses);
    }

    @Test
    void aWrongScriptIsNotTriedAgain() {
        SyntaxError syntax = new SyntaxError(null, "line 1:0 no viable alternative at input 'CREAT'");
        ScriptedTries tries = new ScriptedTries(syntax);
        assertSame(syntax, assertThrows(SyntaxError.class, () -> MigrationAttempts.run("mart", tries, waits)));
        assertEquals(1, tries.count);
        assertEquals(List.of(), waits.pauses);
        assertEquals(MigrationAttempts.Verdict.FINAL, MigrationAttempts.verdict(
                new InvalidQueryException(null, "Undefined column name leader")));
    }

    @Test
    void aLeadFoundUnderThisRunsIdIsHeldAndAnotherRunnersIsNot() {
        MigrationLead lead = new MigrationLead();
        assertTrue(lead.holds(true, null), "taken now");
        assertFalse(lead.holds(false, UUID.randomUUID()), "another runner's lead is waited for");
        // The row an earlier try's take left when it was applied but its answer was lost to a timeout.
        assertTrue(lead.holds(false, lead.id()), "a timed-out try's own lead is resumed, not waited out for its TTL");
        assertFalse(new MigrationLead().holds(false, lead.id()), "another run's lead, even of the same host, is not");
    }

    /** Throws the given failures in turn, then answers as a first migration would. */
    private static final class ScriptedTries implements Supplier<String> {

        private final Deque<RuntimeException> failures;
        int count;

        ScriptedTries(RuntimeException... failures) {
            this.failures = new ArrayDeque<>(List.of(failures));
        }

        @Override
        public String get() {
            count++;
            if (!failures.isEmpty()) {
                throw failures.poll();
            }
            return "version 0 -> 3";
        }
    }

    private static final class RecordedWaits implements MigrationAttempts.Waits {

        final List<Duration> pauses = new ArrayList<>();
        int agreements;

        @Override
        public void awaitSchemaAgreement() {
            agreements++;
        }

        @Override
        public void pause(Duration duration) {
            pauses.add(duration);
        }
    }
}
