package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prepares statements on first use and keeps only successful preparations, so the service starts
 * while Cassandra is still down and recovers without a restart once it is back. The session is
 * injected as a stage: a record may arrive on an event loop before the session has connected, and
 * waiting for it there would deadlock the loop the driver itself needs.
 */
@ApplicationScoped
public class CqlStatements {

    private final CompletionStage<QuarkusCqlSession> session;
    private final Map<String, PreparedStatement> prepared = new ConcurrentHashMap<>();
    private volatile QuarkusCqlSession connected;

    public CqlStatements(CompletionStage<QuarkusCqlSession> session) {
        this.session = session;
    }

    public Uni<AsyncResultSet> execute(String cql, Object... values) {
        return withPrepared(cql, (connected, statement) -> connected.executeAsync(bind(statement, values)));
    }

    /**
     * Binds values, leaving nulls unset: a bound null writes a tombstone, and an event has several
     * absent fields, so rows would carry tombstones that every reader of the day has to skip. A
     * {@link ByteBuffer} is bound as the column's serialized form, unencoded: the UTF-8 of a text
     * column, the bytes of a blob.
     */
    private static BoundStatement bind(PreparedStatement statement, Object[] values) {
        Object[] encodable = values;
        for (int i = 0; i < values.length; i++) {
            if (values[i] instanceof ByteBuffer) {
                encodable = encodable == values ? values.clone() : encodable;
                encodable[i] = null;
            }
        }
        BoundStatementBuilder builder = statement.boundStatementBuilder(encodable);
        for (int i = 0; i < values.length; i++) {
            if (values[i] instanceof ByteBuffer bytes) {
                builder = builder.setBytesUnsafe(i, bytes);
            } else if (values[i] == null) {
                builder = builder.unset(i);
            }
        }
        return builder.build();
    }

    /**
     * One unlogged batch of the same statement with each of {@code rows} bound: meant for rows of one
     * partition, which Cassandra applies as a single mutation, all or nothing.
     */
    public Uni<AsyncResultSet> executeBatch(String cql, List<Object[]> rows) {
        return withPrepared(cql, (connected, statement) -> {
            BatchStatementBuilder batch = BatchStatement.builder(DefaultBatchType.UNLOGGED);
            rows.forEach(values -> batch.addStatement(bind(statement, values)));
            return connected.executeAsync(batch.build());
        });
    }

    private interface Execution {
        CompletionStage<AsyncResultSet> run(QuarkusCqlSession connected, PreparedStatement statement);
    }

    private Uni<AsyncResultSet> withPrepared(String cql, Execution execution) {
        // The hot path once connected and prepared: one operator per request instead of five.
        QuarkusCqlSession ready = connected;
        PreparedStatement known = prepared.get(cql);
        if (ready != null && known != null) {
            return Uni.createFrom().completionStage(() -> execution.run(ready, known));
        }
        return Uni.createFrom().completionStage(session).invoke(open -> connected = open).flatMap(open -> {
            PreparedStatement statement = prepared.get(cql);
            Uni<PreparedStatement> preparing = statement != null
                    ? Uni.createFrom().item(statement)
                    : Uni.createFrom().completionStage(() -> open.prepareAsync(cql))
                            .invoke(done -> prepared.put(cql, done));
            return preparing.flatMap(done -> Uni.createFrom().completionStage(() -> execution.run(open, done)));
        });
    }
}
