package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tidemark.mart.layout.MartLayout;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The bucket's fencing of day manifests: a replica whose lease was taken while it wrote a day (a pause longer than the
 * lease) must not commit the day over the manifest that the replica holding the source now wrote, from rows it read
 * later. The day manifest carries the lease under which it was written, and a manifest is replaced only by an export
 * under a lease taken at the same time or after, in one conditional write (S3's If-Match, on S3Proxy). Before, the
 * paused replica's older day replaced the newer one in the bucket, and dashboards served it until the next export.
 */
@QuarkusTest
@TestProfile(ExportLeaseOvertakenTest.PausedDays.class)
@QuarkusTestResource(TempMartRoot.class)
@QuarkusTestResource(value = S3ProxyResource.class, restrictToAnnotatedClass = true)
class ExportLeaseSupersededTest {

    private static final LocalDate DAY = LocalDate.parse("2026-11-07");
    private static final String OTHER_REPLICA = "other-replica";

    @Inject
    QuarkusCqlSession session;

    @Test
    void aDayWrittenUnderALeaseTakenMeanwhileIsNotCommittedOverTheNewerExport() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store(DAY + "T10:00:00Z", "Signed Up", "user-1", null);
        String manifestKey = "marts/" + MartLayout.manifestKey(events.source, DAY);

        // As after this replica's pause outlasted the lease: another replica takes the source and commits the day.
        CompletableFuture<JsonPath> cycle = events.exportWhileTheLeaseIsTakenBy(OTHER_REPLICA);
        String newer = "{\"generation\":\"0123456789abcdef0123456789abcdef\",\"files\":[],\"lease\":"
                + Instant.now().toEpochMilli() + "}";
        try (S3Client s3 = S3ProxyResource.client(S3ProxyResource.endpoint())) {
            s3.putObject(request -> request.bucket(S3ProxyResource.BUCKET).key(manifestKey), RequestBody.fromString(newer));

            JsonPath superseded = cycle.get(60, TimeUnit.SECONDS);
            assertEquals(List.of(), superseded.getList("exported"), superseded::prettify);
            assertEquals(List.of("exported meanwhile under a later lease"), superseded.getList("failed.reason"),
                    superseded::prettify);
            assertEquals(newer, s3.getObjectAsBytes(request -> request.bucket(S3ProxyResource.BUCKET).key(manifestKey))
                    .asUtf8String(), "the newer export stays the day");
            assertEquals(List.of(), s3.listObjectsV2(request -> request.bucket(S3ProxyResource.BUCKET)
                    .prefix("marts/" + MartLayout.dayKey(events.source, DAY))).contents(), "the dropped day's objects deleted");
        }
        assertNull(session.execute("SELECT source FROM tidemark.exported_days WHERE source = ? AND event_date = ?",
                events.source, DAY).one(), "nothing recorded as exported by the superseded replica");
        assertEquals(OTHER_REPLICA, events.leaseHolder(), "the lease is the other replica's, not released");
    }
}
