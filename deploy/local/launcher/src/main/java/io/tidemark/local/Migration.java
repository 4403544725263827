package io.tidemark.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** One versioned CQL file, V&lt;version&gt;__&lt;description&gt;.cql, where the version is numbers joined by '.' or '_'. */
record Migration(List<Integer> versionParts, String description, Path file) {

    private static final Pattern NAME = Pattern.compile("V(\\d+(?:[._]\\d+)*)__([^/]+)\\.cql");
    private static final Comparator<Migration> BY_VERSION = (a, b) -> compareParts(a.versionParts, b.versionParts);

    /** The version with leading zeros dropped, so V001 and V1 are the same migration: "1", "1.2". */
    String version() {
        return versionParts.stream().map(String::valueOf).collect(Collectors.joining("."));
    }

    static Migration of(Path file) {
        String name = file.getFileName().toString();
        Matcher matcher = NAME.matcher(name);
        if (!matcher.matches()) {
            throw new IllegalArgumentException(name + " is not named V<version>__<description>.cql");
        }
        List<Integer> parts = new ArrayList<>();
        for (String part : matcher.group(1).split("[._]")) {
            parts.add(Integer.parseInt(part));
        }
        return new Migration(List.copyOf(parts), matcher.group(2), file);
    }

    /** The .cql files among the given ones, in version order; two files with one version are an error. */
    static List<Migration> plan(Collection<Path> files) {
        List<Migration> migrations = files.stream()
                .filter(f -> f.getFileName().toString().endsWith(".cql"))
                .map(Migration::of)
                .sorted(BY_VERSION)
                .toList();
        Map<String, Migration> byVersion = new HashMap<>();
        for (Migration migration : migrations) {
            Migration clash = byVersion.putIfAbsent(migration.version(), migration);
            if (clash != null) {
                throw new IllegalArgumentException("version " + migration.version() + " is used by both "
                        + clash.file.getFileName() + " and " + migration.file.getFileName());
            }
        }
        return migrations;
    }

    private static int compareParts(List<Integer> a, List<Integer> b) {
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            int x = i < a.size() ? a.get(i) : 0;
            int y = i < b.size() ? b.get(i) : 0;
            if (x != y) {
                return Integer.compare(x, y);
            }
        }
        return 0;
    }
}
