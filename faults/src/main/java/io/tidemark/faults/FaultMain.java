package io.tidemark.faults;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Entry point of faults/run: runs the named scenarios (all by default) and prints the fault table. */
public final class FaultMain {

    private FaultMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        boolean shortMode = false;
        boolean cluster = false;
        List<Scenario> scenarios = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]).toAbsolutePath();
                case "--short" -> shortMode = true;
                case "--cluster" -> cluster = true;
                case "-h", "--help" -> {
                    System.out.println("usage: faults/run [--short] [--cluster] [scenario...]\n  single node: "
                            + Scenario.DEFAULT.stream().map(Scenario::label).toList() + " and no-fault\n  --cluster: "
                            + Scenario.CLUSTER_DEFAULT.stream().map(Scenario::label).toList() + " and no-fault");
                    return;
                }
                default -> scenarios.add(Scenario.parse(args[i]));
            }
        }
        if (scenarios.isEmpty()) {
            scenarios.addAll(cluster ? Scenario.CLUSTER_DEFAULT : Scenario.DEFAULT);
        }
        List<ScenarioResult> results = new FaultSuite(root, FaultSettings.of(shortMode, cluster)).run(scenarios);
        System.out.println();
        System.out.println("Fault table (" + (shortMode ? "short" : "full") + " mode, "
                + (cluster ? "3 brokers, 3 Cassandra nodes, 2 ingest, 2 dedup, 2 mart on one S3 bucket" : "one broker, one Cassandra node") + ")");
        System.out.print(ScenarioResult.table(results));
        boolean clean = results.stream().allMatch(r -> r.clean() && r.martMismatchDays() == 0);
        System.out.println(clean ? "RESULT: 0 lost, 0 duplicated, 0 wrong-day, mart in agreement in every scenario"
                : "RESULT: at least one scenario broke the promise (see the table)");
        System.exit(clean ? 0 : 1);
    }
}
