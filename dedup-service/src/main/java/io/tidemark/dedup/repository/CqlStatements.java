package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

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

    public CqlStatements(CompletionStage<QuarkusCqlSession> session) {
        this.session = session;
    }

    public Uni<AsyncResultSet> execute(String cql, Object... values) {
        return Uni.createFrom().completionStage(session).flatMap(connected -> {
            PreparedStatement statement = prepared.get(cql);
            Uni<PreparedStatement> ready = statement != null
                    ? Uni.createFrom().item(statement)
                    : Uni.createFrom().completionStage(() -> connected.prepareAsync(cql))
                            .invoke(done -> prepared.put(cql, done));
            return ready.flatMap(done -> Uni.createFrom().completionStage(() -> connected.executeAsync(done.bind(values))));
        });
    }
}
