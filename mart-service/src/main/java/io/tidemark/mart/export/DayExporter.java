package io.tidemark.mart.export;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.type.codec.TypeCodec;
import com.datastax.oss.driver.api.core.type.codec.TypeCodecs;
import io.quarkus.runtime.Startup;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.MartSwapLock;
import io.tidemark.mart.layout.ParquetFormat;
import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.model.DayChange;
import io.tidemark.mart.model.ExportedDay;
import io.tidemark.mart.model.HourRange;
import io.tidemark.mart.query.BreakdownPath;
import io.tidemark.mart.repository.DuckDbEngine;
import io.tidemark.mart.repository.EventIndexReader;
import io.tidemark.mart.repository.RevisionLedger;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Rewrites the Parquet files of one (source, UTC day) from the Cassandra event-time index: rows
 * sorted by event time, and beside them the day's distinct users and arrival delays as rollups, written aside with
 * DuckDB, then swapped in for the day's old files.
 *
 * <p>Made at start, not at the first export minutes later: a bad Parquet setting or breakdown rollup
 * path then stops the start, where a supervisor shows it, instead of failing every export.
 */
@Startup
@ApplicationScoped
public class DayExporter {

    private static final Logger LOG = Logger.getLogger(DayExporter.class);
    // The file schema; source and event_date are not columns but Hive path keys.
    private static final String TABLE_COLUMNS = "event_time TIMESTAMPTZ, message_id VARCHAR, type VARCHAR, "
            + "event VARCHAR, user_id VARCHAR, anonymous_id VARCHAR, group_id VARCHAR, previous_id VARCHAR, "
            + "properties VARCHAR, traits VARCHAR, context VARCHAR, received_at TIMESTAMPTZ, sent_at TIMESTAMPTZ, "
            + "flags VARCHAR[]";

    // The columns by position in EventIndexReader.COLUMNS, and their codecs: looked up by name and
    // by Java type, each value of each row cost a case-insensitive name search and a codec registry lookup.
    private static final List<String> READ_ORDER = List.of(EventIndexReader.COLUMNS.split(",\\s*"));
    private static final int EVENT_TIME = READ_ORDER.indexOf("event_time");
    private static final int MESSAGE_ID = READ_ORDER.indexOf("message_id");
    private static final int CONTEXT = READ_ORDER.indexOf("context");
    private static final int RECEIVED_AT = READ_ORDER.indexOf("received_at");
    private static final int SENT_AT = READ_ORDER.indexOf("sent_at");
    private static final int FLAGS = READ_ORDER.indexOf("flags");
    private static final TypeCodec<Set<String>> FLAGS_CODEC = TypeCodecs.setOf(TypeCodecs.TEXT);
    private static final long MICROS_PER_MILLI = 1000;
    private static final String ORDERED = " ORDER BY event_time, message_id";
    // Rows written to learn a file's bytes per row: enough to be typical, few next to a day that must be cut.
    private static final long SAMPLE_ROWS = 100_000;

    /** What a day's export wrote: the day's rows, users, files and bytes, and the rows it read from Cassandra. */
    public record Result(long rows, long users, int files, long bytes, long rowsRead) {
    }

    private final EventIndexReader reader;
    private final DuckDbEngine engine;
    private final MartSwapLock lock;
    private final MartConfig.Export config;
    private final MartLayout layout;
    private final DayPublisher publisher;
    private final RevisionLedger revisions;
    private final List<BreakdownPath> breakdownPaths;
    private final WeekUserRollups weeks;
    private final ExportTimings timings;
    private final Lanes lanes;
    private final ParquetFormat format;
    private final RunningStatements statements = new RunningStatements();
    private volatile boolean halted;

    public DayExporter(EventIndexReader reader, DuckDbEngine engine, MartSwapLock lock, MartConfig config,
            DayPublisher publisher, RevisionLedger revisions, ExportTimings timings) {
        this.reader = reader;
        this.timings = timings;
        this.revisions = revisions;
        this.publisher = publisher;
        this.engine = engine;
        this.lock = lock;
        this.config = config.export();
        this.layout = new MartLayout(config.export().root());
        // Each path once: a path listed twice would be counted twice.
        this.breakdownPaths = config.breakdown().rollupPaths().stream().distinct().map(BreakdownPath::parse).toList();
        this.weeks = new WeekUserRollups(layout);
        this.lanes = new Lanes(config.export().lanes().orElse(Runtime.getRuntime().availableProcessors()), () -> halted);
        this.format = config.export().parquet().format();
    }

    /**
     * Stops the reads and slice writes under way at their next page or slice, a day's upload to the bucket at its
     * next object, and cancels the statement each lane is running (a file, a rollup), for good: the day they belong
     * to fails as after an error (its old files and ledger entry stay), so a stop need not wait for a large day.
     */
    void halt() {
        halted = true;
        statements.cancelAll();
    }

    @PreDestroy
    void stopLanes() {
        lanes.close();
    }

    /**
     * A day's rows read from Cassandra into a DuckDB table of their own, not yet written anywhere.
     * Closing it drops them.
     */
    public static final class ReadDay implements AutoCloseable {

        private final String source;
        private final LocalDate day;
        private final DuckDBConnection duck;
        private final String table;
        private final long rows;
        private final SlicePlan plan;

        private ReadDay(String source, LocalDate day, DuckDBConnection duck, String table, long rows, SlicePlan plan) {
            this.source = source;
            this.day = day;
            this.duck = duck;
            this.table = table;
            this.rows = rows;
            this.plan = plan;
        }

        /** What is read again: the whole day, or some of its hour slices. */
        public SlicePlan plan() {
            return plan;
        }

        @Override
        public void close() throws SQLException {
            try (duck; Statement sql = duck.createStatement()) {
                sql.execute("DROP VIEW IF EXISTS " + table + "_day");
                sql.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }

    /**
     * What an export of the day reads again, from the change dedup noted, what its files cover, and
     * the files in place: see {@link SlicePlan}.
     */
    public SlicePlan plan(String source, DayChange change, ExportedDay exported) {
        Path dayDir = layout.dayDir(source, change.date());
        if (change.hoursChangedSince(exported).isEmpty() || !Files.isDirectory(dayDir)) {
            return SlicePlan.WHOLE_DAY;
        }
        try (Stream<Path> list = Files.list(dayDir)) {
            Map<String, Long> files = new HashMap<>();
            for (Path file : list.toList()) {
                files.put(file.getFileName().toString(), Files.size(file));
            }
            return SlicePlan.of(change, exported, files);
        } catch (IOException e) {
            LOG.warnf(e, "source %s day %s: cannot list its files; exporting the whole day", source, change.date());
            return SlicePlan.WHOLE_DAY;
        }
    }

    /**
     * Reads the day's rows from Cassandra, those of the slices {@code plan} reads again; nothing is
     * written, so a read that is never written (the lease was lost meanwhile) only has to be closed.
     * Blocking, on the calling thread.
     */
    public ReadDay read(String source, LocalDate day, SlicePlan plan) throws SQLException, IOException {
        String table = "day_" + UUID.randomUUID().toString().replace("-", "");
        DuckDBConnection duck = engine.connectForExport();
        try {
            try (Statement sql = statements.create(duck)) {
                sql.execute("CREATE TABLE " + table + " (" + TABLE_COLUMNS + ")");
            }
            long started = System.nanoTime();
            long rows = load(table, source, day, plan);
            if (rowsMayHaveExpired(day)) {
                rows += keepExpired(duck, table, source, day, plan);
            }
            timings.record("read", started);
            return new ReadDay(source, day, duck, table, rows, plan);
        } catch (SQLException | IOException | RuntimeException e) {
            try {
                new ReadDay(source, day, duck, table, 0, plan).close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Writes a read day aside and swaps it in for the day's old files, under the export lease taken at
     * {@code leaseTakenAt} (epoch milliseconds: the bucket's fencing token). Blocking, on the calling thread.
     */
    public Result write(ReadDay readDay, long leaseTakenAt) throws SQLException, IOException {
        String source = readDay.source;
        LocalDate day = readDay.day;
        DuckDBConnection duck = readDay.duck;
        String read = readDay.table;
        Path staging = layout.stagingDir(source, day);
        Files.createDirectories(staging);
        try {
            long step = System.nanoTime();
            List<Path> files = new ArrayList<>();
            if (readDay.plan.whole()) {
                if (readDay.rows > 0) {
                    files.addAll(writeDay(duck, read, day, readDay.rows, staging));
                }
            } else {
                List<SliceWrite> slices = new ArrayList<>();
                for (HourRange slice : readDay.plan.reread()) {
                    slices.add(lane -> writeSlice(lane, read, day, slice, staging));
                }
                files.addAll(side(duck, slices));
                files.addAll(keep(source, day, readDay.plan.kept(), staging));
            }
            step = timings.record("events", step);
            // The rollups and the summary are of the whole day: the rows read, and those of the files kept.
            String table = readDay.plan.whole() ? read : dayView(duck, read, staging, readDay.plan.kept());
            if (!files.isEmpty()) {
                // In the staging directory, so the day's swap renames it in with the events it was made from.
                copy(duck, usersOf(readDay, table) + " ORDER BY " + UserKeyHash.COLUMN,
                        staging.resolve(MartLayout.USERS_ROLLUP));
                step = timings.record("users", step);
                copy(duck, latenessOf(duck, readDay, table), staging.resolve(MartLayout.LATENESS_ROLLUP));
                step = timings.record("lateness", step);
                breakdowns(duck, readDay, table, files.size() > 1, staging);
                step = timings.record("breakdown", step);
            }
            long bytes = 0;
            for (Path file : files) {
                bytes += Files.size(file);
            }
            Path summary = staging.resolveSibling(staging.getFileName() + "-" + MartLayout.SUMMARY);
            DayCounts counts = countsOf(duck, readDay, table, staging);
            summarize(duck, counts, summary, source, day);
            step = timings.record("summary", step);
            if (publisher.enabled()) {
                // Into the bucket before the local swap: a failed upload leaves both as they were, to retry.
                if (files.isEmpty()) {
                    publisher.withdraw(source, day);
                } else {
                    List<String> names = new ArrayList<>();
                    files.forEach(file -> names.add(file.getFileName().toString()));
                    MartLayout.ROLLUPS.stream().filter(rollup -> Files.exists(staging.resolve(rollup))).forEach(names::add);
                    publisher.publish(source, day, staging, names, () -> halted, leaseTakenAt);
                }
                step = timings.record("publish", step);
            }
            swap(source, day, staging, !files.isEmpty(), summary);
            timings.record("swap", step);
            return new Result(counts.events(), counts.users(), files.size(), bytes, readDay.rows);
        } finally {
            deleteTree(staging);
            Files.deleteIfExists(staging.resolveSibling(staging.getFileName() + "-" + MartLayout.SUMMARY));
        }
    }

    /**
     * The day's distinct users. After slices were read again, they are the users of the day's
     * rollup in place and those of the rows read: dedup only ever adds rows to a day (upserts of the
     * same rows, never a delete), so no user of the day is lost and none is added twice, and the
     * kept files, the most of a large day, are not hashed again.
     */
    private String usersOf(ReadDay readDay, String day) {
        Path before = layout.usersRollup(readDay.source, readDay.day);
        if (readDay.plan.whole() || !Files.exists(before)) {
            return UserKeyHash.ofUsersIn(day);
        }
        return "SELECT " + UserKeyHash.COLUMN + " FROM read_parquet('" + literal(before) + "') UNION "
                + UserKeyHash.ofUsersIn(readDay.table);
    }

    /**
     * The day's arrival delays by hour. After slices were read again, the rollup in place gives the
     * hours of the kept files and the rows read give the others ({@link LatenessRollup#merge}); a day
     * whose rollup predates the hour column is counted whole, once, from the rows read and the kept files.
     */
    private String latenessOf(DuckDBConnection duck, ReadDay readDay, String day) throws SQLException {
        Path before = layout.latenessRollup(readDay.source, readDay.day);
        if (readDay.plan.whole() || !LatenessRollup.hasHours(duck, before)) {
            return LatenessRollup.selectFrom(day);
        }
        return LatenessRollup.merge(before, readDay.plan.reread(), readDay.table);
    }

    /**
     * The day's breakdown rollup, and for a day of several files what a late slice merges into. After
     * slices were read again, it is merged from the rows read and the state in place when that state
     * is of the configured paths; otherwise it is made from the whole day, the rows read and the kept files.
     */
    private void breakdowns(DuckDBConnection duck, ReadDay readDay, String day, boolean sliced, Path staging)
            throws SQLException {
        Path dayDir = layout.dayDir(readDay.source, readDay.day);
        if (!readDay.plan.whole() && BreakdownRollup.canMerge(duck, dayDir, breakdownPaths)) {
            BreakdownRollup.merge(duck, statements, readDay.table, readDay.plan.reread(), dayDir, breakdownPaths, staging);
        } else {
            BreakdownRollup.write(duck, statements, day, breakdownPaths, staging, sliced);
        }
    }

    /**
     * The day's events and distinct users: the rows read, plus after slices were read again the kept
     * files' row counts (from the Parquet footers, no column is read), and the rows of the user rollup
     * just written (one per distinct user, also from its footer). So no file and no table is scanned
     * again: counting a whole day's users from its rows made the summary step 3.0-3.3 % of an export's
     * step time, 2.3 % without (bench/run mart, 2026-12-05). The rollup's users are hashes, so they may
     * lower the count by one where two users' keys collide ({@link UserKeyHash}), as every count of users
     * over several days already may.
     */
    private DayCounts countsOf(DuckDBConnection duck, ReadDay readDay, String day, Path staging) throws SQLException {
        Path users = staging.resolve(MartLayout.USERS_ROLLUP);
        if (!Files.exists(users)) {
            // A day without rows has no rollups.
            return countAll(duck, day);
        }
        long kept = readDay.plan.whole() ? 0 : count(duck, "read_parquet(" + fileList(
                readDay.plan.kept().stream().map(staging::resolve).toList()) + ")");
        return new DayCounts(readDay.rows + kept, count(duck, "read_parquet('" + literal(users) + "')"));
    }

    /**
     * Swaps in a day fetched from the bucket into {@code staging} (the mirror's side of the store
     * kind s3); its per-day summary is made from the fetched event files. Blocking.
     */
    void install(String source, LocalDate day, Path staging, List<Path> eventFiles) throws SQLException, IOException {
        Path summary = staging.resolveSibling(staging.getFileName() + "-" + MartLayout.SUMMARY);
        try (DuckDBConnection duck = engine.connectForExport()) {
            summarize(duck, countAll(duck, "read_parquet(" + fileList(eventFiles) + ")"), summary, source, day);
            swap(source, day, staging, true, summary);
        } finally {
            Files.deleteIfExists(summary);
        }
    }

    /** Removes a day the bucket no longer has. */
    void remove(String source, LocalDate day) throws IOException {
        swap(source, day, null, false, null);
    }

    /**
     * Makes the week user rollups of the ISO weeks of {@code days} (days just swapped in or removed)
     * again from the days now in place: once per week, however many of its days changed, so a first
     * export of a year makes 53 weeks, not 365. Blocking; the caller holds the source's export lock.
     * A failure fails no day, which is already swapped in: the week's readers find no file of the
     * days' fingerprint and read the days instead, until a day of that week is exported again.
     */
    public void rebuildWeeks(String source, Collection<LocalDate> days) {
        Set<LocalDate> mondays = new TreeSet<>();
        days.forEach(day -> mondays.add(WeekUserRollups.monday(day)));
        if (mondays.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        try (DuckDBConnection duck = engine.connectForExport()) {
            for (LocalDate monday : mondays) {
                try {
                    weeks.rebuild(duck, lock.swapping(), source, monday);
                } catch (SQLException | IOException | RuntimeException e) {
                    LOG.warnf(e, "source %s week of %s: week user rollup not made; the week is read day by day",
                            source, monday);
                }
            }
        } catch (SQLException e) {
            LOG.warnf(e, "source %s: week user rollups not made; their weeks are read day by day", source);
        }
        timings.record("weeks", started);
    }

    /** A day's events and distinct users, as its summary records them. */
    private record DayCounts(long events, long users) {
    }

    /** The events and distinct users of {@code rows}, counted from the rows. */
    private DayCounts countAll(DuckDBConnection duck, String rows) throws SQLException {
        try (Statement sql = statements.create(duck); ResultSet counts = sql.executeQuery("SELECT count(*) AS events, "
                + "count(DISTINCT " + UserKeyHash.USER + ") AS users FROM " + rows)) {
            counts.next();
            return new DayCounts(counts.getLong("events"), counts.getLong("users"));
        }
    }

    /**
     * Writes the day's summary, (events, users) and what the day was first reported as, so the daily
     * API marks revised days without reading the revision ledger.
     */
    private void summarize(DuckDBConnection duck, DayCounts counts, Path summary, String source, LocalDate day)
            throws SQLException {
        // No first revision yet: this export is the day's first report.
        RevisionLedger.Entry first = revisions.first(source, day)
                .orElse(new RevisionLedger.Entry(null, counts.events(), counts.users()));
        copy(duck, "SELECT " + counts.events() + "::BIGINT AS events, " + counts.users() + "::BIGINT AS users, "
                + first.events() + "::BIGINT AS first_events, " + first.users() + "::BIGINT AS first_users", summary);
    }

    /**
     * Reads the day's rows into {@code table} through one appender per lane, each on a connection of
     * its own: appends to one table from several connections do not conflict, and each lane's rows
     * are committed when its appender is closed. A DuckDB appender is used only by the thread that
     * created it, so each lane opens its own.
     */
    private long load(String table, String source, LocalDate day, SlicePlan plan) throws SQLException, IOException {
        EventIndexReader.DayReads reads = reader.reads(source, day, plan.reread());
        List<Long> rows = lanes.run(reads.count(), (lane, count, stopped) -> {
            try (DuckDBConnection connection = engine.connectForExport();
                 DuckDBAppender appender = connection.createAppender(DuckDBConnection.DEFAULT_SCHEMA, table)) {
                long read = reader.read(reads, lane, count, config.pageSize(), row -> append(appender, row), stopped);
                appender.flush();
                return read;
            }
        });
        return rows.stream().mapToLong(Long::longValue).sum();
    }

    private boolean rowsMayHaveExpired(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).minusDays(1).toInstant().plus(config.rowsExpireAfter()).isBefore(Instant.now());
    }

    /**
     * Adds to the read table the rows of the day's files in place that Cassandra no longer holds, from the
     * files of the slices read again (the others are kept as they are, and hold only their own hours);
     * returns how many. Dedup only ever adds rows, so a message in the files and not among the rows read
     * is one whose row expired.
     */
    private long keepExpired(DuckDBConnection duck, String table, String source, LocalDate day, SlicePlan plan)
            throws SQLException, IOException {
        Path dayDir = layout.dayDir(source, day);
        if (!Files.isDirectory(dayDir)) {
            return 0;
        }
        List<Path> files;
        try (Stream<Path> listed = Files.list(dayDir)) {
            files = listed.filter(file -> MartLayout.isPart(file.getFileName().toString())
                    && !plan.kept().contains(file.getFileName().toString())).sorted().toList();
        }
        if (files.isEmpty()) {
            return 0;
        }
        // As the read table holds them: no flags is NULL there, an empty list in the files.
        List<String> columns = READ_ORDER.stream().map(column -> column.equals(READ_ORDER.get(FLAGS))
                ? "CASE WHEN len(f.flags) = 0 THEN NULL ELSE f.flags END" : "f." + column).toList();
        long kept;
        try (Statement sql = statements.create(duck)) {
            kept = sql.executeUpdate("INSERT INTO " + table + " SELECT " + String.join(", ", columns)
                    + " FROM read_parquet(" + fileList(files) + ", hive_partitioning = false, union_by_name = true) f "
                    + "WHERE NOT EXISTS (SELECT 1 FROM " + table + " r WHERE r.message_id = f.message_id)");
        }
        if (kept > 0) {
            LOG.infof("source %s day %s: %d rows kept from the day's files, their rows in Cassandra expired", source, day, kept);
        }
        return kept;
    }

    private static void append(DuckDBAppender appender, Row row) {
        try {
            appender.beginRow();
            timestamp(appender, row, EVENT_TIME);
            for (int column = MESSAGE_ID; column <= CONTEXT; column++) {
                text(appender, row, column);
            }
            timestamp(appender, row, RECEIVED_AT);
            timestamp(appender, row, SENT_AT);
            flags(appender, row);
            appender.endRow();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot append message " + row.get(MESSAGE_ID, TypeCodecs.TEXT), e);
        }
    }

    /**
     * An event without flags (nearly every one) is NULL in the read table, as in Cassandra, which
     * keeps no empty set: the appender spent about five JNI calls on every empty list, some 4 % of
     * mart's CPU in an export. The event files get the empty list ({@link #eventRowsOf}).
     */
    private static void flags(DuckDBAppender appender, Row row) throws SQLException {
        if (row.getBytesUnsafe(FLAGS) == null) {
            appender.appendNull();
            return;
        }
        Set<String> flags = row.get(FLAGS, FLAGS_CODEC);
        if (flags.isEmpty()) {
            appender.appendNull();
        } else {
            appender.append(flags.stream().sorted().toList());
        }
    }

    /** The rows of the read table {@code table} as the event files hold them: no flags is an empty list. */
    private static String eventRowsOf(String table) {
        return "SELECT * REPLACE (coalesce(flags, []::VARCHAR[]) AS flags) FROM " + table;
    }

    /**
     * ASCII text (nearly all of it) goes in as the bytes Cassandra sent, which are already its
     * UTF-8; decoding them to a String only for the appender to encode it again was a good part of
     * an export's time. Other text takes the driver's decoding, as before, so nothing it would refuse
     * is let through.
     */
    private static void text(DuckDBAppender appender, Row row, int column) throws SQLException {
        ByteBuffer raw = row.getBytesUnsafe(column);
        if (raw == null) {
            appender.appendNull();
            return;
        }
        byte[] bytes = new byte[raw.remaining()];
        raw.duplicate().get(bytes);
        for (byte b : bytes) {
            if (b < 0) {
                appender.append(row.get(column, TypeCodecs.TEXT));
                return;
            }
        }
        appender.append(bytes);
    }

    private static void timestamp(DuckDBAppender appender, Row row, int column) throws SQLException {
        Instant value = row.get(column, TypeCodecs.TIMESTAMP);
        if (value == null) {
            appender.appendNull();
        } else {
            // Cassandra timestamps are whole milliseconds, so this is the instant exactly.
            appender.appendEpochMicros(Math.multiplyExact(value.toEpochMilli(), MICROS_PER_MILLI));
        }
    }

    /**
     * One file in event-time order; if that file would be over the target size, the day is written as
     * hour slices of near-target size (an hour alone over it in several files), so files stay few but
     * none is giant, and a late event later rewrites only its slice ({@link SlicePlan}).
     */
    private List<Path> writeDay(DuckDBConnection duck, String table, LocalDate day, long rows, Path staging)
            throws SQLException, IOException {
        Path single = staging.resolve(MartLayout.partFile(0));
        long targetRows = fileRows(duck, eventRowsOf(table), rows, single);
        if (rows <= targetRows) {
            return List.of(single);
        }
        Files.delete(single);
        long[] perHour = rowsPerHour(duck, table, day);
        List<SliceWrite> slices = new ArrayList<>();
        int from = 0;
        long inSlice = 0;
        for (int hour = 0; hour <= HourRange.HOURS; hour++) {
            // A slice starts at an hour with rows, so none is empty, and takes hours while it stays under the target.
            if (hour == HourRange.HOURS
                    || hour > from && inSlice > 0 && perHour[hour] > 0 && inSlice + perHour[hour] > targetRows) {
                HourRange slice = new HourRange(from, hour);
                long rowsOfSlice = inSlice;
                slices.add(lane -> writeSlice(lane, table, day, slice, rowsOfSlice, targetRows, staging));
                from = hour;
                inSlice = 0;
            }
            if (hour < HourRange.HOURS) {
                inSlice += perHour[hour];
            }
        }
        return side(duck, slices);
    }

    /** The files of one slice, written on the connection of the lane it was given to. */
    @FunctionalInterface
    private interface SliceWrite {
        List<Path> write(DuckDBConnection lane) throws SQLException, IOException;
    }

    /**
     * Writes the slices side by side, dealt out to the lanes, each on a connection of its own (the
     * first on {@code duck}, on the calling thread): each statement runs on one DuckDB thread, so the
     * lanes are what puts a large day on several cores. Returns the files in slice order.
     */
    private List<Path> side(DuckDBConnection duck, List<SliceWrite> slices) throws SQLException, IOException {
        List<Map<Integer, List<Path>>> perLane = lanes.run(slices.size(), (lane, count, stopped) -> {
            if (lane == 0) {
                return writeLane(duck, slices, lane, count, stopped);
            }
            try (DuckDBConnection connection = engine.connectForExport()) {
                return writeLane(connection, slices, lane, count, stopped);
            }
        });
        Map<Integer, List<Path>> bySlice = new TreeMap<>();
        perLane.forEach(bySlice::putAll);
        List<Path> files = new ArrayList<>();
        bySlice.values().forEach(files::addAll);
        return files;
    }

    private static Map<Integer, List<Path>> writeLane(DuckDBConnection connection, List<SliceWrite> slices, int lane,
            int lanes, BooleanSupplier stopped) throws SQLException, IOException {
        Map<Integer, List<Path>> written = new HashMap<>();
        for (int slice = lane; slice < slices.size(); slice += lanes) {
            if (stopped.getAsBoolean()) {
                throw new CancellationException("writing slices stopped: another lane failed, or the mart is stopping");
            }
            written.put(slice, slices.get(slice).write(connection));
        }
        return written;
    }

    /** A slice read again: one file, or near-target files if one would be over the target size. */
    private List<Path> writeSlice(DuckDBConnection duck, String table, LocalDate day, HourRange slice, Path staging)
            throws SQLException, IOException {
        String rowsOfSlice = eventRowsOf(table) + " WHERE " + within(slice, day);
        long rows = count(duck, "(" + rowsOfSlice + ")");
        Path single = staging.resolve(MartLayout.partFile(slice, 0));
        long targetRows = fileRows(duck, rowsOfSlice, rows, single);
        if (rows <= targetRows) {
            return List.of(single);
        }
        Files.delete(single);
        return writeSlice(duck, table, day, slice, rows, targetRows, staging);
    }

    /**
     * Writes {@code rows} (all of them, {@code count} rows) in event-time order into {@code file} if they
     * fit in one target file, and returns how many rows a target file holds. The size is measured on
     * the first {@link #SAMPLE_ROWS} rows: a day or slice of fewer is written once, and a larger one
     * is not written whole only to learn that it must be cut.
     */
    private long fileRows(DuckDBConnection duck, String rows, long count, Path file) throws SQLException, IOException {
        long sample = Math.min(count, SAMPLE_ROWS);
        copy(duck, rows + ORDERED + (sample < count ? " LIMIT " + sample : ""), file);
        long targetRows = Math.max(1, (long) ((double) config.targetFileBytes() * sample / Math.max(1, Files.size(file))));
        if (sample < count && count <= targetRows) {
            copy(duck, rows + ORDERED, file);
        }
        return targetRows;
    }

    private List<Path> writeSlice(DuckDBConnection duck, String table, LocalDate day, HourRange slice, long rows,
            long targetRows, Path staging) throws SQLException {
        int parts = (int) Math.max(1, (rows + targetRows - 1) / targetRows);
        long perPart = (rows + parts - 1) / parts;
        List<Path> files = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            Path file = staging.resolve(MartLayout.partFile(slice, i));
            copy(duck, eventRowsOf(table) + " WHERE " + within(slice, day) + ORDERED
                    + (parts == 1 ? "" : " LIMIT " + perPart + " OFFSET " + (i * perPart)), file);
            files.add(file);
        }
        return files;
    }

    /** The rows of each UTC hour of the day, by epoch seconds so no session time zone comes in. */
    private long[] rowsPerHour(DuckDBConnection duck, String table, LocalDate day) throws SQLException {
        long start = HourRange.WHOLE_DAY.start(day).getEpochSecond();
        long[] perHour = new long[HourRange.HOURS];
        try (Statement sql = statements.create(duck); ResultSet hours = sql.executeQuery("SELECT floor((epoch(event_time) - "
                + start + ") / 3600)::INTEGER AS hour, count(*) AS n FROM " + table + " GROUP BY 1")) {
            while (hours.next()) {
                perHour[Math.max(0, Math.min(HourRange.HOURS - 1, hours.getInt("hour")))] += hours.getLong("n");
            }
        }
        return perHour;
    }

    private static String within(HourRange slice, LocalDate day) {
        return "event_time >= to_timestamp(" + slice.start(day).getEpochSecond() + ") AND event_time < to_timestamp("
                + slice.end(day).getEpochSecond() + ")";
    }

    /**
     * The files of the slices not read again, into the staging directory as hard links: the same
     * bytes, no copy, and the day's one rename swaps them in with the new ones.
     */
    private List<Path> keep(String source, LocalDate day, List<String> kept, Path staging) throws IOException {
        Path dayDir = layout.dayDir(source, day);
        List<Path> files = new ArrayList<>(kept.size());
        for (String name : kept) {
            Path file = staging.resolve(name);
            try {
                Files.createLink(file, dayDir.resolve(name));
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(dayDir.resolve(name), file);
            }
            files.add(file);
        }
        return files;
    }

    /** A view of the whole day: the rows read again and those of the files kept. */
    private String dayView(DuckDBConnection duck, String read, Path staging, List<String> kept) throws SQLException {
        String view = read + "_day";
        String columns = String.join(", ", READ_ORDER);
        try (Statement sql = statements.create(duck)) {
            sql.execute("CREATE VIEW " + view + " AS SELECT " + columns + " FROM " + read + " UNION ALL SELECT " + columns
                    + " FROM read_parquet(" + fileList(kept.stream().map(staging::resolve).toList()) + ", hive_partitioning = false)");
        }
        return view;
    }

    private long count(DuckDBConnection duck, String rows) throws SQLException {
        try (Statement sql = statements.create(duck); ResultSet count = sql.executeQuery("SELECT count(*) FROM " + rows)) {
            count.next();
            return count.getLong(1);
        }
    }

    private void copy(DuckDBConnection duck, String select, Path file) throws SQLException {
        try (Statement sql = statements.create(duck)) {
            sql.execute("COPY (" + select + ") TO '" + literal(file) + "' (" + format.copyOptions() + ", "
                    + "ROW_GROUP_SIZE " + config.rowGroupRows() + ")");
        }
    }

    /**
     * Old day aside, new day in: each a rename within the source directory, so each is atomic, and
     * both happen under the swap lock so this service's queries never see the gap between them.
     */
    private void swap(String source, LocalDate day, Path staging, boolean hasFiles, Path summary) throws IOException {
        Path dayDir = layout.dayDir(source, day);
        Path summaryFile = layout.summaryFile(source, day);
        Files.createDirectories(summaryFile.getParent());
        Path retired = null;
        lock.swapping().lock();
        try {
            if (Files.exists(dayDir)) {
                retired = layout.retiredDir(source, day);
                Files.createDirectories(retired.getParent());
                Files.move(dayDir, retired, StandardCopyOption.ATOMIC_MOVE);
            }
            if (hasFiles) {
                Files.move(staging, dayDir, StandardCopyOption.ATOMIC_MOVE);
                // rename(2) replaces the old summary in one step.
                Files.move(summary, summaryFile, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.deleteIfExists(summaryFile);
            }
        } finally {
            lock.swapping().unlock();
        }
        if (retired != null) {
            deleteTree(retired);
        }
        LOG.debugf("source %s day %s swapped in", source, day);
    }

    /** Leftovers of an export that died half-way: never visible to readers, removed before the next cycle. */
    void removeLeftovers(String source) {
        deleteTree(layout.sourceDir(source).resolve(MartLayout.STAGING));
        deleteTree(layout.sourceDir(source).resolve(MartLayout.RETIRED));
    }

    /** A DuckDB list of the files' paths, for read_parquet. */
    private static String fileList(List<Path> files) {
        return "[" + String.join(", ", files.stream().map(file -> "'" + literal(file) + "'").toList()) + "]";
    }

    static String literal(Path path) {
        return path.toAbsolutePath().toString().replace("'", "''");
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
