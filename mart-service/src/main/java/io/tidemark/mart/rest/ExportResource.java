package io.tidemark.mart.rest;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.tidemark.mart.export.ExportCycle;
import io.tidemark.mart.model.ExportSummary;
import io.tidemark.mart.model.ExportedDay;
import io.tidemark.mart.repository.ExportLedger;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.util.List;
import java.util.Optional;

/** Operators' view of the export: run one now, and see what each (source, day) holds. */
@Path("/api/v1/exports")
@Produces(MediaType.APPLICATION_JSON)
public class ExportResource {

    private final ExportCycle cycle;
    private final ExportLedger ledger;
    private final Caller caller;

    public ExportResource(ExportCycle cycle, ExportLedger ledger, Caller caller) {
        this.cycle = cycle;
        this.ledger = ledger;
        this.caller = caller;
    }

    /**
     * Exports every changed day now (of one source if given) and answers when done. Without a source,
     * of the sources the caller's token reads: an operator token of one team runs its own exports only.
     */
    @POST
    public Uni<ExportSummary> export(@QueryParam("source") String source) {
        Optional<String> only = Optional.ofNullable(source).filter(s -> !s.isBlank());
        only.ifPresent(MetricsResource::requireSource);
        return cycle.run(only, caller.token()::reads);
    }

    /**
     * Per source and day: when it was last exported, which change it covers, rows, files and bytes; of
     * the sources the caller's token reads.
     */
    @GET
    @Blocking // a Cassandra scan of the ledger through the blocking driver API: a worker thread, on purpose
    public List<ExportedDay> list(@QueryParam("source") String source) {
        Optional<String> only = Optional.ofNullable(source).filter(s -> !s.isBlank());
        only.ifPresent(MetricsResource::requireSource);
        ApiToken token = caller.token();
        return ledger.list(only).stream().filter(day -> token.reads(day.source())).toList();
    }
}
