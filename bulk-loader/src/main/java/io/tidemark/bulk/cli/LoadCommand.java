package io.tidemark.bulk.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;
import io.tidemark.bulk.config.JobConfigReader;
import io.tidemark.bulk.load.LoadReport;
import io.tidemark.bulk.load.WindowLoader;
import io.tidemark.bulk.load.Windows;
import io.tidemark.bulk.mapping.EventMapper;
import io.tidemark.bulk.sink.IngestImportClient;
import io.tidemark.bulk.source.JdbcRowSource;
import io.tidemark.bulk.watermark.WatermarkStore;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code load}: an explicit window ({@code --from/--to}) is loaded exactly and leaves the watermark
 * alone (a backfill or a repair); without one, the job loads from its watermark to now minus its lag
 * and advances the watermark after each window ingest acknowledged whole.
 */
@CommandLine.Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load one job's rows of a time window (or since its watermark) through ingest's bulk import.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every row stored", "3:partial: some rows refused (listed by key in the summary)",
                "1:failed: the run stopped (database, ingest or Cassandra unavailable); run it again", "2:usage or job file error"})
final class LoadCommand implements Callable<Integer> {

    static final int SUCCESS = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int PARTIAL = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Option(names = "--job", required = true, description = "Job name (<jobs-dir>/<job>.yaml) or a path to its file.")
    String job;

    @CommandLine.Option(names = "--jobs-dir", defaultValue = "${env:TIDEMARK_BULK_JOBS_DIR:-jobs}",
            description = "Directory of job files (default: $TIDEMARK_BULK_JOBS_DIR or ./jobs).")
    Path jobsDir;

    @CommandLine.Option(names = "--from", converter = Times.class, description = "Window start, inclusive.")
    Instant from;

    @CommandLine.Option(names = "--to", converter = Times.class, description = "Window end, exclusive.")
    Instant to;

    @CommandLine.Option(names = "--step", converter = Times.Durations.class,
            description = "Cut an explicit window into windows of this length, e.g. P1D (default: one window).")
    Duration step;

    @CommandLine.Option(names = "--dry-run", description = "Map and print the first events; send nothing, move nothing.")
    boolean dryRun;

    @CommandLine.Option(names = "--sample", defaultValue = "5", description = "Events a dry run prints (default 5).")
    int sample;

    @CommandLine.Option(names = "--chunk-rows", description = "Rows per import request (overrides ingest.chunk-rows).")
    Integer chunkRows;

    @CommandLine.Option(names = "--max-rows-per-second", defaultValue = "0",
            description = "Hold the load to this rate (default 0: as fast as ingest answers).")
    double maxRowsPerSecond;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;

    @Override
    public Integer call() {
        if ((from == null) != (to == null) || (from != null && !from.isBefore(to))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give both --from and --to, from before to, or neither");
        }
        if (step != null && (step.isZero() || step.isNegative())) {
            // A step that does not move would cut the window into windows without end.
            throw new CommandLine.ParameterException(spec.commandLine(), "--step must be positive, e.g. P1D");
        }
        LoadReport report = new LoadReport(job);
        int code;
        try {
            JobConfig config = JobConfigReader.read(JobConfigReader.locate(job, jobsDir));
            code = run(config, report);
        } catch (JobConfigException e) {
            report.failed(e.getMessage());
            code = USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            report.failed("interrupted");
            code = FAILED;
        } catch (Exception e) {
            report.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
            code = FAILED;
        }
        out.println(report.toJson().toString());
        out.flush();
        return code;
    }

    private int run(JobConfig config, LoadReport report) throws Exception {
        JobConfig.Ingest ingest = chunkRows == null ? config.ingest() : new JobConfig.Ingest(config.ingest().url(),
                config.ingest().writeKeyEnv(), chunkRows, config.ingest().chunkBytes(), config.ingest().maxAttempts(),
                config.ingest().timeout(), config.ingest().inFlightChunks(), config.ingest().busyWait());
        IngestImportClient sink = null;
        if (dryRun) {
            report.dryRun();
        } else {
            String writeKey = System.getenv(ingest.writeKeyEnv());
            if (writeKey == null || writeKey.isBlank()) {
                throw new JobConfigException("ingest.write-key-env: environment variable " + ingest.writeKeyEnv() + " is not set");
            }
            sink = new IngestImportClient(ingest, writeKey, this::progress);
        }
        EventMapper mapper = new EventMapper(config);
        try (JdbcRowSource source = JdbcRowSource.open(config.source())) {
            WindowLoader loader = new WindowLoader(ingest, mapper, source, sink, this::progress, report, maxRowsPerSecond, sample);
            if (from != null) {
                report.plan(from, to);
                for (Windows.Window window : Windows.split(from, to, step)) {
                    loader.load(window.from(), window.to());
                    if (dryRun) {
                        break; // the first window's sample is what a dry run is for
                    }
                    report.windowDone(window.to());
                }
            } else {
                sinceWatermark(config, loader, report);
            }
        }
        return report.status() == LoadReport.Status.PARTIAL ? PARTIAL : SUCCESS;
    }

    private void sinceWatermark(JobConfig config, WindowLoader loader, LoadReport report) throws Exception {
        try (WatermarkStore watermarks = WatermarkStore.connect(config.watermark())) {
            Optional<Instant> before = watermarks.read(config.job());
            Instant start = before.or(() -> Optional.ofNullable(config.window().start())).orElseThrow(() ->
                    new JobConfigException("window.start: job " + config.job() + " has no watermark yet; set window.start "
                            + "or load a first window with --from/--to"));
            Instant end = Instant.now().minus(config.window().lag()).truncatedTo(ChronoUnit.SECONDS);
            report.plan(start, end);
            report.watermark(before.orElse(null), before.orElse(null));
            Optional<Instant> current = before;
            List<Windows.Window> windows = Windows.split(start, end, config.window().step());
            if (windows.isEmpty()) {
                progress("watermark " + start + " is within the lag of now; nothing to load");
            }
            for (Windows.Window window : windows) {
                long accepted = loader.load(window.from(), window.to());
                if (dryRun) {
                    break;
                }
                // Only now: ingest answered every chunk of the window (accepted, or refused and reported).
                if (!watermarks.advance(config.job(), current, window.to(), accepted)) {
                    throw new IllegalStateException("the watermark of " + config.job() + " was moved by another run to "
                            + watermarks.read(config.job()).orElse(null) + "; this run stops");
                }
                current = Optional.of(window.to());
                report.watermark(before.orElse(null), window.to());
                report.windowDone(window.to());
            }
        }
    }

    private void progress(String line) {
        err.println("bulk-loader " + job + ": " + line);
        err.flush();
    }
}
