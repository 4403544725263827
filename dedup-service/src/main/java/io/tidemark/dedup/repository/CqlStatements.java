package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.ColumnDefinitions;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.DataTypes;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
     *
     * <p>A String for a text column is bound as its UTF-8 too, encoded here: the driver's text codec
     * goes through a CharsetEncoder and a CharBuffer for every value, where {@code String.getBytes}
     * copies the bytes of an ASCII string (nearly all of a row's strings) in one step. Under
     * bench/run dedup the codec's buffers were 6 % of what dedup allocated. The one difference: a lone
     * surrogate becomes '?' where the codec would throw; no value here has one, since EventCodec refuses
     * an event with one before it reaches the ledger or the index.
     */
    private static BoundStatement bind(PreparedStatement statement, Object[] values) {
        ColumnDefinitions columns = statement.getVariableDefinitions();
        ByteBuffer[] serialized = null;
        Object[] encodable = values;
        for (int i = 0; i < values.length; i++) {
            ByteBuffer bytes = serialized(values[i], columns.get(i).getType());
            if (bytes != null) {
                if (serialized == null) {
                    serialized = new ByteBuffer[values.length];
                    encodable = values.clone();
                }
                serialized[i] = bytes;
                encodable[i] = null;
            }
        }
        BoundStatementBuilder builder = statement.boundStatementBuilder(encodable);
        for (int i = 0; i < values.length; i++) {
            if (serialized != null && serialized[i] != null) {
                builder = builder.setBytesUnsafe(i, serialized[i]);
            } else if (values[i] == null) {
                builder = builder.unset(i);
            }
        }
        return builder.build();
    }

    /** A value's serialized form when it is bound as one, null when the driver's codec encodes it. */
    private static ByteBuffer serialized(Object value, DataType column) {
        if (value instanceof ByteBuffer bytes) {
            return bytes;
        }
        if (value instanceof String text && DataTypes.TEXT.equals(column)) {
            return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        }
        return null;
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
