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
        List<Scenario> scenarios = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]).toAbsolutePath();
                case "--short" -> shortMode = true;
                case "-h", "--help" -> {
                    System.out.println("usage: faults/run [--short] [scenario...]   scenarios: " + Scenario.DEFAULT.stream()
                            .map(Scenario::label).toList() + " and no-fault");
                    return;
                }
                default -> scenarios.add(Scenario.parse(args[i]));
            }
        }
        if (scenarios.isEmpty()) {
            scenarios.addAll(Scenario.DEFAULT);
        }
        List<ScenarioResult> results = new FaultSuite(root, FaultSettings.of(shortMode)).run(scenarios);
        System.out.println();
        System.out.println("Fault table (" + (shortMode ? "short" : "full") + " mode)");
        System.out.print(ScenarioResult.table(results));
        boolean clean = results.stream().allMatch(r -> r.clean() && r.martMismatchDays() == 0);
        System.out.println(clean ? "RESULT: 0 lost, 0 duplicated, 0 wrong-day, mart in agreement in every scenario"
                : "RESULT: at least one scenario broke the promise (see the table)");
        System.exit(clean ? 0 : 1);
    }
}
