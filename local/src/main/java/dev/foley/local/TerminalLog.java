package dev.foley.local;

import dev.foley.obs.Log;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * Local mode's log: every JSON line (events and metrics, the same lines a Lambda function writes)
 * appended to a file, and on the terminal one readable line per phase change and per warning or
 * error (or, with {@code --json-logs}, the JSON lines themselves).
 */
final class TerminalLog implements Log.Sink, AutoCloseable {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private final BufferedWriter file;
    private final PrintStream terminal;
    private final boolean json;
    private final boolean phases;

    TerminalLog(Path file, PrintStream terminal, boolean json) throws IOException {
        this(file, terminal, json, true);
    }

    /** {@code phases} false: the terminal gets warnings and errors only (generate shows its own progress). */
    TerminalLog(Path file, PrintStream terminal, boolean json, boolean phases) throws IOException {
        this.phases = phases;
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.file = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        this.terminal = terminal;
        this.json = json;
    }

    @Override
    public synchronized void accept(Level level, String line, Map<String, Object> fields) {
        try {
            file.write(line);
            file.newLine();
            file.flush();
        } catch (IOException e) {
            // the terminal still gets it
        }
        if (json) {
            terminal.println(line);
            return;
        }
        String readable = readable(level, fields);
        if (readable != null && (phases || level.getSeverity() >= Level.WARNING.getSeverity())) {
            terminal.println(readable);
        }
    }

    /** {@code 20:31:02  7f3a9c1e…  accepted → submitted  wavespeed  0.4 s}; a warning as its message; metrics not at all. */
    static String readable(Level level, Map<String, Object> f) {
        if (f.containsKey("metric")) {
            return null;
        }
        String time = LocalTime.now().format(TIME);
        if (f.containsKey("phase_to")) {
            String id = String.valueOf(f.get("prediction_id"));
            String shortId = id.length() > 12 && !id.contains("_") ? id.substring(0, 8) + "…" : id;
            String from = String.valueOf(f.get("phase_from"));
            String move = "-".equals(from) ? String.valueOf(f.get("phase_to")) : from + " → " + f.get("phase_to");
            Object age = f.get("age_ms");
            return String.format("%s  %-12s %-27s %-10s %s%s", time, shortId, move, f.getOrDefault("provider", ""),
                    age instanceof Number n ? String.format("%.1f s", n.doubleValue() / 1000) : "",
                    f.containsKey("reason") ? "  " + f.get("reason") : "");
        }
        if (level.getSeverity() >= Level.WARNING.getSeverity()) {
            return time + "  " + (level == Level.WARNING ? "WARN " : "ERROR") + " " + f.get("message")
                    + (f.containsKey("error") ? " (" + f.get("error") + ")" : "");
        }
        return null;
    }

    @Override
    public synchronized void close() throws IOException {
        file.close();
    }
}
