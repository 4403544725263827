package io.tidemark.mart.rest;

import io.smallrye.common.annotation.Blocking;
import io.tidemark.mart.repository.ChangeLedger;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/** The sources that have events and the caller's token reads, for the dashboard's source picker. */
@Path("/api/v1/sources")
@Produces(MediaType.APPLICATION_JSON)
public class SourceResource {

    private final ChangeLedger changes;
    private final Caller caller;

    public SourceResource(ChangeLedger changes, Caller caller) {
        this.changes = changes;
        this.caller = caller;
    }

    @GET
    @Blocking // a scan of the change ledger's partition keys through the blocking driver API: a worker thread, on purpose
    public List<String> sources() {
        ApiToken token = caller.token();
        return changes.sources().stream().filter(token::reads).sorted().toList();
    }
}
