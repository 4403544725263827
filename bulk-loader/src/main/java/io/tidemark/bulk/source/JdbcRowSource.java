package io.tidemark.bulk.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;
import io.tidemark.bulk.mapping.ExactJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.SocketTimeoutException;
import java.nio.charset.Charset;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Streams the rows of one window from a JDBC database through a server-side cursor: autocommit off
 * and a fetch size, which is what makes PostgreSQL's driver fetch {@code fetch-size} rows at a time
 * instead of the whole result. Read-only, and rolled back at the end.
 */
public final class JdbcRowSource implements RowSource {

    /** Numbers in a json column are sent as written: a double would round a 20-digit amount. */
    private static final ObjectMapper JSON = ExactJson.TREES;
    private static final String POSTGRESQL = "jdbc:postgresql:";

    /** The server's error for stored bytes that are not valid in the connection's encoding. */
    private static final String INVALID_BYTES = "22021";

    private final Connection connection;
    private final WindowQuery query;
    private final int fetchSize;
    private final Duration readTimeout;
    /** Null unless the job names a {@code text-encoding}. */
    private final LegacyText legacyText;

    private JdbcRowSource(Connection connection, WindowQuery query, int fetchSize, Duration readTimeout,
            LegacyText legacyText) {
        this.connection = connection;
        this.query = query;
        this.fetchSize = fetchSize;
        this.readTimeout = readTimeout;
        this.legacyText = legacyText;
    }

    public static JdbcRowSource open(JobConfig.Source source) throws SQLException {
        WindowQuery query = WindowQuery.parse(source.query());
        Properties properties = new Properties();
        if (source.user() != null) {
            properties.setProperty("user", source.user());
        }
        if (source.passwordEnv() != null) {
            String password = System.getenv(source.passwordEnv());
            if (password == null) {
                throw new JobConfigException("source.password-env: environment variable " + source.passwordEnv() + " is not set");
            }
            properties.setProperty("password", password);
        }
        if (source.jdbcUrl().startsWith(POSTGRESQL)) {
            // A server-prepared statement from the first execution, so the driver asks for binary results:
            // times, numbers and numerics cost PostgreSQL no formatting and the driver no parsing (reading
            // 200,000 orders took half the time). The URL's own prepareThreshold wins, e.g. 0 behind a
            // transaction-pooling PgBouncer that cannot keep prepared statements.
            properties.setProperty("prepareThreshold", "-1");
        }
        if (source.textEncoding() != null) {
            // The driver asks for UTF-8 and refuses another client_encoding unless told it may change.
            properties.setProperty("allowEncodingChanges", "true");
        }
        Connection connection = DriverManager.getConnection(source.jdbcUrl(), properties);
        LegacyText legacyText = null;
        try {
            waitAtMost(connection, source.readTimeout());
            if (source.textEncoding() != null) {
                readByteForByte(connection);
                legacyText = new LegacyText(Charset.forName(source.textEncoding()));
            }
            // After the SET above: a setting made in the read's transaction would end with its rollback.
            connection.setAutoCommit(false);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
        try {
            connection.setReadOnly(true);
        } catch (SQLException e) {
            // Only a hint: DuckDB fixes it when connecting, and an in-memory database over files is never written.
        }
        return new JdbcRowSource(connection, query, source.fetchSize(), source.readTimeout(), legacyText);
    }

    /**
     * Bounds every wait for the database's answer (the socket's read timeout, for PostgreSQL's driver). An
     * embedded database such as DuckDB has no network to wait on, and says so.
     */
    private static void waitAtMost(Connection connection, Duration readTimeout) throws SQLException {
        try {
            connection.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, readTimeout.toMillis()));
        } catch (SQLFeatureNotSupportedException embedded) {
            // Nothing to bound.
        }
    }

    /**
     * Has a SQL_ASCII database send its text unchecked: under UTF-8 the server refuses every value that is
     * not valid UTF-8, and under LATIN1 it converts nothing (SQL_ASCII has no conversions) and checks only
     * for NUL, so each stored byte arrives as one character. Any other database converts its text to
     * LATIN1 for real, which would fail or lose characters: there the setting is refused.
     */
    private static void readByteForByte(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            String serverEncoding;
            try (ResultSet result = statement.executeQuery("SHOW server_encoding")) {
                result.next();
                serverEncoding = result.getString(1);
            }
            if (!"SQL_ASCII".equalsIgnoreCase(serverEncoding)) {
                throw new JobConfigException("source.text-encoding: the database's server_encoding is " + serverEncoding
                        + ", not SQL_ASCII: its text is read correctly without this setting; remove it");
            }
            statement.execute("SET client_encoding TO 'LATIN1'");
        }
    }

    @Override
    public long read(Instant from, Instant to, RowHandler handler) throws Exception {
        long number = 0;
        try (PreparedStatement statement = connection.prepareStatement(query.sql(), ResultSet.TYPE_FORWARD_ONLY,
                ResultSet.CONCUR_READ_ONLY)) {
            statement.setFetchSize(fetchSize);
            for (int i = 0; i < query.parameters().size(); i++) {
                Instant bound = query.parameters().get(i) == WindowQuery.Bound.FROM ? from : to;
                statement.setObject(i + 1, bound.atOffset(ZoneOffset.UTC));
            }
            try (ResultSet rows = statement.executeQuery()) {
                Column[] columns = columns(rows.getMetaData());
                String[] labels = new String[columns.length];
                for (int i = 0; i < columns.length; i++) {
                    labels[i] = columns[i].label();
                }
                Columns shared = new Columns(labels);
                while (rows.next()) {
                    number++;
                    Object[] values = new Object[columns.length];
                    for (int i = 0; i < columns.length; i++) {
                        values[i] = value(rows, i + 1, columns[i].kind());
                    }
                    if (!handler.accept(new SourceRow(number, shared, values))) {
                        break;
                    }
                }
            }
        } catch (SQLException e) {
            // The server checks each row as it sends it: this comes from any fetch, the first or a later one.
            throw explained(e);
        } finally {
            // A driver closes a connection whose read timed out; its failure, explained, is what to report.
            if (!connection.isClosed()) {
                connection.rollback();
            }
        }
        return number;
    }

    /** The server's refusal of stored bytes or its silence, with what to do about it; any other failure as it is. */
    private SQLException explained(SQLException e) {
        if (causedBy(e, SocketTimeoutException.class)) {
            return new SQLException(e.getMessage() + "; the database did not answer within source.read-timeout ("
                    + readTimeout + "): it is unreachable or stopped, or the window's query needs longer before its"
                    + " first rows (a sort of a large window); the connection is closed", e.getSQLState(), e);
        }
        if (!INVALID_BYTES.equals(e.getSQLState()) || legacyText != null) {
            return e;
        }
        return new SQLException(e.getMessage() + "; a database whose server_encoding is SQL_ASCII can hold text in"
                + " another encoding than UTF-8: name it in source.text-encoding, e.g. windows-1252", e.getSQLState(), e);
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /** How a column is read, decided once per result set rather than once per value. */
    private enum Kind { INSTANT, LOCAL_TIMESTAMP, DATE, TIME, OFFSET_TIME, JSON, ARRAY, PLAIN }

    private record Column(String label, Kind kind) {
    }

    private static Column[] columns(ResultSetMetaData meta) throws SQLException {
        Column[] columns = new Column[meta.getColumnCount()];
        for (int i = 1; i <= columns.length; i++) {
            int type = meta.getColumnType(i);
            String typeName = meta.getColumnTypeName(i);
            Kind kind;
            if (type == Types.TIMESTAMP_WITH_TIMEZONE || "timestamptz".equalsIgnoreCase(typeName)) {
                kind = Kind.INSTANT;
            } else if (type == Types.TIMESTAMP) {
                kind = Kind.LOCAL_TIMESTAMP;
            } else if (type == Types.DATE) {
                kind = Kind.DATE;
            } else if ("timetz".equalsIgnoreCase(typeName)) {
                // PostgreSQL's driver says TIME for timetz too, and refuses to read it as a LocalTime. DuckDB's
                // type is TIME WITH TIME ZONE, read as a plain value as before.
                kind = Kind.OFFSET_TIME;
            } else if (type == Types.TIME) {
                kind = Kind.TIME;
            } else if ("json".equalsIgnoreCase(typeName) || "jsonb".equalsIgnoreCase(typeName)) {
                kind = Kind.JSON;
            } else if (type == Types.ARRAY) {
                kind = Kind.ARRAY;
            } else {
                kind = Kind.PLAIN;
            }
            columns[i - 1] = new Column(meta.getColumnLabel(i), kind);
        }
        return columns;
    }

    /** The column as a plain Java value whose JSON type is obvious; times become instants in UTC. */
    private Object value(ResultSet rows, int i, Kind kind) throws SQLException {
        Object value = switch (kind) {
            case INSTANT -> {
                OffsetDateTime time = rows.getObject(i, OffsetDateTime.class);
                yield time == null ? null : time.toInstant();
            }
            case LOCAL_TIMESTAMP -> {
                // A time without zone is read as UTC, whatever zone this JVM or the database session has.
                LocalDateTime time = rows.getObject(i, LocalDateTime.class);
                yield time == null ? null : time.toInstant(ZoneOffset.UTC);
            }
            case DATE -> rows.getObject(i, LocalDate.class);
            case TIME -> rows.getObject(i, LocalTime.class);
            case OFFSET_TIME -> rows.getObject(i, OffsetTime.class);
            case JSON -> {
                String text = rows.getString(i);
                yield text == null ? null : parseJson(text(text));
            }
            case ARRAY -> {
                Array array = rows.getArray(i);
                yield array == null ? null : list((Object[]) array.getArray());
            }
            case PLAIN -> plain(rows.getObject(i));
        };
        return rows.wasNull() ? null : value;
    }

    private Object plain(Object value) throws SQLException {
        if (value instanceof String string) {
            return text(string);
        }
        if (value == null || value instanceof Boolean || value instanceof BigDecimal || value instanceof Double
                || value instanceof Float) {
            return value;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof java.math.BigInteger big) {
            return new BigDecimal(big);
        }
        if (value instanceof byte[] bytes) {
            return java.util.Base64.getEncoder().encodeToString(bytes);
        }
        if (value instanceof SQLXML xml) {
            // Its toString is the driver object's identity, not the document.
            return text(xml.getString());
        }
        return text(value.toString());
    }

    private String text(String value) {
        return legacyText == null || value == null ? value : legacyText.decode(value);
    }

    private List<Object> list(Object[] elements) throws SQLException {
        List<Object> list = new ArrayList<>(elements.length);
        for (Object element : elements) {
            list.add(element instanceof Object[] nested ? list(nested) : plain(element));
        }
        return list;
    }

    private static Object parseJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("a json column holds invalid JSON", e);
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
