package io.tidemark.bulk.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a job's YAML mapping file; {@code --job orders} means {@code <jobs-dir>/orders.yaml}. */
public final class JobConfigReader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            // A misspelt key would otherwise be a silently ignored setting.
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private JobConfigReader() {
    }

    /** The file for {@code job}: a path to an existing file as given, else {@code <jobsDir>/<job>.yaml}. */
    public static Path locate(String job, Path jobsDir) {
        Path direct = Path.of(job);
        if (Files.isRegularFile(direct)) {
            return direct;
        }
        for (String extension : new String[] {".yaml", ".yml"}) {
            Path file = jobsDir.resolve(job + extension);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        throw new JobConfigException("job " + job + ": no file " + job + ".yaml in " + jobsDir.toAbsolutePath()
                + " (set --jobs-dir or TIDEMARK_BULK_JOBS_DIR)");
    }

    public static JobConfig read(Path file) {
        try {
            return YAML.readValue(file.toFile(), JobConfig.class);
        } catch (JsonMappingException e) {
            // Our own checks arrive wrapped; their message already names the field.
            Throwable cause = e.getCause();
            if (cause instanceof JobConfigException config) {
                throw new JobConfigException(file + ": " + config.getMessage(), config);
            }
            throw new JobConfigException(file + ": " + e.getOriginalMessage() + " at " + e.getPathReference(), e);
        } catch (IOException e) {
            throw new JobConfigException(file + ": " + e.getMessage(), e);
        }
    }
}
