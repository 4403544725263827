package io.tidemark.bulk.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Streams the rows of one window from a JDBC database through a server-side cursor: autocommit off
 * and a fetch size, which is what makes PostgreSQL's driver fetch {@code fetch-size} rows at a time
 * instead of the whole result. Read-only, and rolled back at the end.
 */
public final class JdbcRowSource implements RowSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Connection connection;
    private final WindowQuery query;
    private final int fetchSize;

    private JdbcRowSource(Connection connection, WindowQuery query, int fetchSize) {
        this.connection = connection;
        this.query = query;
        this.fetchSize = fetchSize;
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
        Connection connection = DriverManager.getConnection(source.jdbcUrl(), properties);
        try {
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        try {
            connection.setReadOnly(true);
        } catch (SQLException e) {
            // Only a hint: DuckDB fixes it when connecting, and an in-memory database over files is never written.
        }
        return new JdbcRowSource(connection, query, source.fetchSize());
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
                ResultSetMetaData meta = rows.getMetaData();
                while (rows.next()) {
                    number++;
                    if (!handler.accept(new SourceRow(number, values(rows, meta)))) {
                        break;
                    }
                }
            }
        } finally {
            connection.rollback();
        }
        return number;
    }

    private static Map<String, Object> values(ResultSet rows, ResultSetMetaData meta) throws SQLException {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            values.put(meta.getColumnLabel(i), value(rows, meta, i));
        }
        return values;
    }

    /** The column as a plain Java value whose JSON type is obvious; times become instants in UTC. */
    private static Object value(ResultSet rows, ResultSetMetaData meta, int i) throws SQLException {
        int type = meta.getColumnType(i);
        String typeName = meta.getColumnTypeName(i);
        Object value;
        if (type == Types.TIMESTAMP_WITH_TIMEZONE || "timestamptz".equalsIgnoreCase(typeName)) {
            OffsetDateTime time = rows.getObject(i, OffsetDateTime.class);
            value = time == null ? null : time.toInstant();
        } else if (type == Types.TIMESTAMP) {
            // A time without zone is read as UTC, whatever zone this JVM or the database session has.
            LocalDateTime time = rows.getObject(i, LocalDateTime.class);
            value = time == null ? null : time.toInstant(ZoneOffset.UTC);
        } else if (type == Types.DATE) {
            value = rows.getObject(i, LocalDate.class);
        } else if (type == Types.TIME) {
            value = rows.getObject(i, LocalTime.class);
        } else if ("json".equalsIgnoreCase(typeName) || "jsonb".equalsIgnoreCase(typeName)) {
            String text = rows.getString(i);
            value = text == null ? null : parseJson(text);
        } else if (type == Types.ARRAY) {
            Array array = rows.getArray(i);
            value = array == null ? null : list((Object[]) array.getArray());
        } else {
            value = plain(rows.getObject(i));
        }
        return rows.wasNull() ? null : value;
    }

    private static Object plain(Object value) {
        if (value == null || value instanceof Boolean || value instanceof String || value instanceof BigDecimal
                || value instanceof Double || value instanceof Float) {
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
        return value.toString();
    }

    private static List<Object> list(Object[] elements) {
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
