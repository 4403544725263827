package io.tidemark.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnerReaperTest {

    @TempDir
    Path dir;

    @Test
    void theReaperRunsFromACopyOfTheLauncherThatARebuildLeavesAlone() throws Exception {
        StackLayout layout = new StackLayout(dir, dir.resolve(".tidemark-local"));
        Files.createDirectories(layout.targetDir());
        Files.writeString(layout.launcherJar(), "build 1");

        Path first = OwnerReaper.ownCopy(layout);
        assertEquals(layout.runDir(), first.getParent());
        assertEquals("build 1", Files.readString(first));
        assertEquals(first, OwnerReaper.ownCopy(layout), "one copy per build of the jar, not one per reaper");
        assertEquals(first + ":" + layout.launcherLib() + "/*", classpath(layout));

        // A rebuild rewrites the jar in place; the reaper started before it keeps reading its copy.
        Files.writeString(layout.launcherJar(), "build two");
        assertEquals("build 1", Files.readString(first));

        Path second = OwnerReaper.ownCopy(layout);
        assertNotEquals(first, second);
        assertEquals("build two", Files.readString(second));
        assertFalse(Files.exists(first), "the copy of the older build is removed");
        assertEquals(second + ":" + layout.launcherLib() + "/*", classpath(layout));
    }

    private static String classpath(StackLayout layout) {
        List<String> command = OwnerReaper.command(layout, new Owner(1, 1));
        return command.get(command.indexOf("-cp") + 1);
    }
}
