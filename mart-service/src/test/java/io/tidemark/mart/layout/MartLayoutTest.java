package io.tidemark.mart.layout;

import io.tidemark.mart.model.HourRange;
import org.junit.jupiter.api.Test;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MartLayoutTest {

    private final MartLayout layout = new MartLayout(Path.of("/marts"));

    @Test
    void aDayLivesInHivePartitionsOfSourceAndEventDate() {
        assertEquals(Path.of("/marts/source=web/event_date=2026-11-01"), layout.dayDir("web", LocalDate.of(2026, 11, 1)));
        assertEquals("/marts/source=web/event_date=*/*.parquet", layout.sourceGlob("web"));
    }

    @Test
    void aDaysUserRollupLivesInTheDayDirectoryButNoEventGlobMatchesIt() {
        LocalDate day = LocalDate.of(2026, 11, 1);
        Path rollup = layout.usersRollup("web", day);
        assertEquals(layout.dayDir("web", day), rollup.getParent());
        assertFalse(FileSystems.getDefault().getPathMatcher("glob:" + layout.sourceGlob("web")).matches(rollup));
        assertTrue(FileSystems.getDefault().getPathMatcher("glob:" + layout.sourceGlob("web"))
                .matches(layout.dayDir("web", day).resolve(MartLayout.partFile(0))));
        // Spark and Trino skip files whose names start with an underscore.
        assertTrue(rollup.getFileName().toString().startsWith("_"));
    }

    @Test
    void bucketObjectsKeepTheHiveKeysAndCarryTheirGenerationBeforeTheExtension() {
        LocalDate day = LocalDate.of(2026, 11, 1);
        assertEquals("source=web/event_date=2026-11-01/", MartLayout.dayKey("web", day));
        assertEquals("part-00003-gabc.parquet", MartLayout.objectName(MartLayout.partFile(3), "abc"));
        assertEquals("_distinct_users-gabc.rollup", MartLayout.objectName(MartLayout.USERS_ROLLUP, "abc"));
        // Manifests live outside every day's key prefix, so listing a day's objects never lists them.
        String manifest = MartLayout.manifestKey("web", day);
        assertEquals("source=web/_manifests/event_date=2026-11-01.json", manifest);
        assertFalse(manifest.startsWith(MartLayout.dayKey("web", day)));
        assertEquals(day, MartLayout.manifestDay(manifest));
    }

    @Test
    void partFilesAreNumberedWithFiveDigits() {
        assertEquals("part-00000.parquet", MartLayout.partFile(0));
        assertEquals("part-00012.parquet", MartLayout.partFile(12));
    }

    @Test
    void partsOfAnHourSliceNameTheirHoursAndAreReadBackFromTheName() {
        assertEquals("part-h05-12-00001.parquet", MartLayout.partFile(new HourRange(5, 12), 1));
        assertEquals(Optional.of(new HourRange(5, 12)), MartLayout.hoursOf("part-h05-12-00001.parquet"));
        assertEquals(Optional.of(HourRange.WHOLE_DAY), MartLayout.hoursOf("part-h00-24-00000.parquet"));
        assertEquals(Optional.empty(), MartLayout.hoursOf("part-00000.parquet"), "a day written whole");
        assertEquals(Optional.empty(), MartLayout.hoursOf("part-h12-05-00000.parquet"));
        assertEquals(Optional.empty(), MartLayout.hoursOf("part-h00-25-00000.parquet"));
        Path staging = layout.stagingDir("web", LocalDate.of(2026, 11, 1));
        assertEquals(staging.resolve("part-h05-12-00001.parquet"), MartLayout.mirroredFile(staging, "part-h05-12-00001.parquet"));
        assertTrue(MartLayout.isPart("part-h05-12-00001.parquet"));
        assertFalse(MartLayout.isPart(MartLayout.USERS_ROLLUP));
    }

    @Test
    void workDirectoriesAreSiblingsTheQueryGlobNeverMatches() {
        Path staging = layout.stagingDir("web", LocalDate.of(2026, 11, 1));
        assertEquals(layout.sourceDir("web"), staging.getParent().getParent());
        assertTrue(staging.getParent().getFileName().toString().startsWith("_"));
        assertFalse(staging.getParent().getFileName().toString().startsWith("event_date="));
    }

    @Test
    void aFileNamedByABucketManifestLandsInTheStagingDirectory() {
        Path staging = layout.stagingDir("web", LocalDate.of(2026, 11, 1));
        assertEquals(staging.resolve("part-00003.parquet"), MartLayout.mirroredFile(staging, "part-00003.parquet"));
        assertEquals(staging.resolve(MartLayout.USERS_ROLLUP), MartLayout.mirroredFile(staging, MartLayout.USERS_ROLLUP));
        assertEquals(staging.resolve(MartLayout.LATENESS_ROLLUP), MartLayout.mirroredFile(staging, MartLayout.LATENESS_ROLLUP));
        assertEquals(staging.resolve(MartLayout.BREAKDOWN_ROLLUP), MartLayout.mirroredFile(staging, MartLayout.BREAKDOWN_ROLLUP));
    }

    @Test
    void aManifestNameOutsideTheLayoutIsRefusedNotResolved() {
        Path staging = layout.stagingDir("web", LocalDate.of(2026, 11, 1));
        for (String name : List.of("../../../../etc/cron.d/job", "../part-00000.parquet", "/etc/passwd",
                "part-00000.parquet/../../x", "sub/part-00000.parquet", "..", "", "part-0.parquet",
                "_manifest.json", "part-00000.parquet\\..\\x")) {
            assertThrows(IllegalArgumentException.class, () -> MartLayout.mirroredFile(staging, name), name);
        }
        assertThrows(IllegalArgumentException.class, () -> MartLayout.mirroredFile(staging, null));
    }
}
