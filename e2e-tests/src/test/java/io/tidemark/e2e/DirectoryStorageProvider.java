package io.tidemark.e2e;

import com.segment.analytics.kotlin.core.Analytics;
import com.segment.analytics.kotlin.core.Storage;
import com.segment.analytics.kotlin.core.StorageProvider;
import com.segment.analytics.kotlin.core.utilities.FileEventStream;
import com.segment.analytics.kotlin.core.utilities.PropertiesFile;
import com.segment.analytics.kotlin.core.utilities.StorageImpl;
import kotlinx.coroutines.CoroutineDispatcher;
import sovran.kotlin.Store;

import java.nio.file.Path;

/**
 * analytics-kotlin's file storage in a directory of the test's choosing, as an app's data directory:
 * the JVM default is {@code /tmp/analytics-kotlin/<writeKey>}, shared by every run on the machine.
 * Holds {@code analytics-kotlin-<writeKey>.properties} (anonymousId, settings, batch index) and
 * {@code events/}, the batch being written ({@code .tmp}) and the closed ones awaiting upload.
 */
final class DirectoryStorageProvider implements StorageProvider {

    private final Path directory;

    DirectoryStorageProvider(Path directory) {
        this.directory = directory;
    }

    /** Where the SDK keeps its batch files. */
    static Path eventsDirectory(Path directory) {
        return directory.resolve("events");
    }

    @Override
    public Storage createStorage(Object... params) {
        Analytics analytics = (Analytics) params[0];
        String writeKey = analytics.getConfiguration().getWriteKey();
        PropertiesFile properties = new PropertiesFile(directory.resolve("analytics-kotlin-" + writeKey + ".properties").toFile());
        FileEventStream events = new FileEventStream(eventsDirectory(directory).toFile());
        return new StorageImpl(properties, events, analytics.getStore(), writeKey,
                "segment.events.file.index." + writeKey, analytics.getFileIODispatcher());
    }

    // Kotlin's default method is not a Java one (the library is built without -Xjvm-default).
    @Override
    public Storage getStorage(Analytics analytics, Store store, String writeKey, CoroutineDispatcher ioDispatcher,
            Object application) {
        return createStorage(analytics, store, writeKey, ioDispatcher, application);
    }
}
