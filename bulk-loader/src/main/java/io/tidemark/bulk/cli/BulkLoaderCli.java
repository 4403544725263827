package io.tidemark.bulk.cli;

import picocli.CommandLine;

import java.util.TimeZone;

/** {@code bulk-loader}: the command a workflow tool runs. Exit codes: 0 success, 3 partial, 1 failed, 2 usage. */
@CommandLine.Command(name = "bulk-loader", mixinStandardHelpOptions = true, subcommands = LoadCommand.class,
        description = "Loads rows of an existing database into Tidemark in re-runnable time windows.")
public final class BulkLoaderCli {

    public static void main(String[] args) {
        // The PostgreSQL driver sets its session time zone from the JVM's, which decides how a
        // timestamp-without-time-zone column compares with a window bound: UTC, like every Tidemark time.
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        System.exit(new CommandLine(new BulkLoaderCli()).execute(args));
    }
}
