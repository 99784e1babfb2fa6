package dev.foley;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The packages of {@code shared/} point one way, as docs/architecture.md draws them, and
 * only {@code store/} and {@code aws/} touch the AWS SDK: read from the compiled classes by the
 * JDK's own {@code jdeps}, not from import lines.
 */
class PackageLayersTest {

    /** The AWS SDK, as one node: only store/ and aws/ may touch it. */
    static final String SDK = "(AWS SDK)";

    /** Each package and the packages it may use; anything else is a dependency pointing the wrong way. */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("json", Set.of()),
            Map.entry("obs", Set.of("json")),
            Map.entry("time", Set.of()),
            Map.entry("key", Set.of()),
            Map.entry("config", Set.of("key")),
            Map.entry("net", Set.of("time")),
            Map.entry("model", Set.of("json")),
            Map.entry("prediction", Set.of("json", "net", "time", "key", "model")),
            Map.entry("view", Set.of("json", "prediction")),
            Map.entry("lifecycle", Set.of("prediction", "time")),
            Map.entry("aws", Set.of("json", "config", "time", "obs", SDK)),
            Map.entry("store", Set.of("aws", "config", "json", "key", "prediction", "time", "obs", "model", SDK)),
            Map.entry("provider", Set.of("json", "prediction", "time", "net", "model")),
            Map.entry("pipeline", Set.of("net", "provider", "key", "json", "lifecycle", "store", "view", "time", "prediction", "obs", "model")),
            Map.entry("admission", Set.of("key", "json", "lifecycle", "store", "time", "prediction", "pipeline", "obs")),
            Map.entry("ingest", Set.of("model", "key", "json", "admission", "store", "view", "time", "prediction")),
            Map.entry("api", Set.of("provider", "key", "json", "admission", "store", "view", "time", "prediction", "pipeline",
                    "net", "config", "obs", "model")));

    @Test
    void dependenciesPointDownwardsWithNoCycle() {
        Map<String, Set<String>> uses = packageGraph();
        assertTrue(uses.keySet().containsAll(List.of("api", "pipeline", "store", "aws")), uses.toString());
        List<String> wrong = new ArrayList<>();
        uses.forEach((from, tos) -> {
            if (from.isEmpty()) {
                if (tos.contains(SDK)) {
                    wrong.add("dev.foley -> " + SDK); // Foley.wire may use every package, but the SDK only through aws/
                }
                return;
            }
            Set<String> allowed = ALLOWED.get(from);
            if (allowed == null) {
                wrong.add("package " + from + " is not in the layering; add it to ALLOWED and to the picture in docs/architecture.md");
                return;
            }
            for (String to : tos) {
                if (!to.isEmpty() && !allowed.contains(to)) {
                    wrong.add(from + " -> " + to);
                }
            }
        });
        assertEquals(List.of(), wrong);
        for (String start : uses.keySet()) {
            assertFalse(reaches(uses, start, start, new TreeSet<>()), "a cycle through " + start);
        }
    }

    static boolean reaches(Map<String, Set<String>> g, String from, String target, Set<String> seen) {
        for (String next : g.getOrDefault(from, Set.of())) {
            if (next.equals(target)) {
                return true;
            }
            if (seen.add(next) && reaches(g, next, target, seen)) {
                return true;
            }
        }
        return false;
    }

    /** jdeps -verbose:package over target/classes: "dev.foley.a -> dev.foley.b" lines, as a graph. */
    static Map<String, Set<String>> packageGraph() {
        Path classes = Path.of("target", "classes");
        assertTrue(Files.isDirectory(classes.resolve("dev/foley")), "compiled classes at " + classes.toAbsolutePath());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("this JDK has no jdeps"));
        StringWriter out = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(new StringWriter()),
                "-verbose:package", "-filter:none", "-e", "dev\\.foley.*|software\\.amazon\\.awssdk.*", classes.toString());
        assertEquals(0, rc, out.toString());
        Map<String, Set<String>> g = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[1].equals("->") && f[0].startsWith("dev.foley")
                    && (f[2].startsWith("dev.foley") || f[2].startsWith("software.amazon.awssdk"))) {
                String from = sub(f[0]);
                String to = f[2].startsWith("software.") ? SDK : sub(f[2]);
                if (!from.equals(to)) {
                    g.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
                }
            }
        }
        return g;
    }

    /** dev.foley.store → store; dev.foley.store.x → store; dev.foley → "". */
    static String sub(String pkg) {
        String rest = pkg.equals("dev.foley") ? "" : pkg.substring("dev.foley.".length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }
}
