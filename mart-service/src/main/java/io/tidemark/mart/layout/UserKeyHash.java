package io.tidemark.mart.layout;

/**
 * The 64-bit key by which the per-day user rollups store a user: the low half of the MD5 of the
 * user key (userId, else anonymousId), as a signed BIGINT.
 *
 * <p>Why a hash: DuckDB's distinct over 30 days of BIGINTs is several times faster than over the
 * strings, and a rollup of integers is small. Why MD5 and not DuckDB's {@code hash()}: rollups
 * written today are combined with rollups written months later, and with the same key computed
 * from the event files of days without a rollup, so the function must never change with a DuckDB
 * upgrade; MD5 is fixed by RFC 1321 and {@code UserKeyHashTest} pins the result.
 *
 * <p>Exactness: two distinct users share a key with probability 2^-64 per pair, so a window of n
 * distinct users has any collision with probability about n^2 / 2^65: 3e-8 for a million users,
 * 3e-4 for a hundred million. A collision lowers a count by one; it never adds a user.
 */
public final class UserKeyHash {

    /** The user of an event row, as the API counts users: userId, else anonymousId. */
    public static final String USER = "coalesce(user_id, anonymous_id)";

    /** The column of a rollup file. */
    public static final String COLUMN = "user_hash";

    // The key is DuckDB's md5_number_lower: the MD5's first 64 bits as an unsigned number. That
    // function is a macro that casts md5_number to BIT, to text, cuts 64 characters and casts them back,
    // which made the hash about five times dearer than the MD5 itself; md5_number >> 64 are the same
    // bits by arithmetic (UserKeyHashTest pins them to Java's MD5). Shifting by 2^63 maps the unsigned
    // value one to one onto BIGINT, which every Parquet reader knows (Spark and Trino have no unsigned
    // 64-bit integers).
    private static final String SIGN_SHIFT = "9223372036854775808";

    private UserKeyHash() {
    }

    /** The SQL expression of the key of the user of an event row; NULL for a row without a user. */
    public static String ofEventRow() {
        return of(USER);
    }

    /**
     * A SELECT of the distinct keys, as {@link #COLUMN}, of the users of {@code rows} (a table or a
     * subquery of event rows). Each user is hashed once, not each of its rows: the distinct over the
     * user strings first took a quarter less time than a hash a row for the bench's days.
     */
    public static String ofUsersIn(String rows) {
        return "SELECT DISTINCT " + of("u") + " AS " + COLUMN + " FROM (SELECT DISTINCT " + USER + " AS u FROM "
                + rows + " WHERE " + USER + " IS NOT NULL)";
    }

    /** The SQL expression of the key of a user given as a VARCHAR expression. */
    public static String of(String userExpression) {
        return "((md5_number(" + userExpression + ") >> 64)::HUGEINT - " + SIGN_SHIFT + ")::BIGINT";
    }
}
