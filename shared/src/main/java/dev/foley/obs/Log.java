package dev.foley.obs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.System.Logger.Level;
import java.text.MessageFormat;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One JSON object per event, one line each, in the fields of Powertools for AWS Lambda (Java)
 * Logging ({@code timestamp}, {@code level}, {@code message}, {@code service},
 * {@code function_name}, {@code function_request_id}, {@code correlation_id} (API Gateway's request
 * id), {@code cold_start}, {@code xray_trace_id}) plus Foley's ({@code prediction_id},
 * {@code key_id}, {@code provider}, {@code phase_from}, {@code phase_to}, durations). An exception
 * is one field of its event ({@code error}: type, message, stack), never lines of its own. With the
 * function's JSON log format, CloudWatch keeps each line as one structured event.
 *
 * <p>Written by hand rather than with Powertools: that module brings Log4j 2 or Logback plus
 * AspectJ into every zip and its start-up, for what is here one Jackson object per line (see the
 * README's dependency notes). Where lines go is a {@link Sink}: on Lambda, stdout (every level); in
 * local mode, a file of JSON lines and a readable line on the terminal; elsewhere (tests, tools),
 * warnings and errors on stderr.
 */
public final class Log {

    /** Where events go: the JSON line, and the event's fields for a readable rendering. */
    public interface Sink {
        void accept(Level level, String json, Map<String, Object> fields);

        /** Whether events of {@code level} are kept at all (when not, they are not even written out). */
        default boolean accepts(Level level) {
            return true;
        }
    }

    private static final boolean ON_LAMBDA = System.getenv("AWS_LAMBDA_FUNCTION_NAME") != null;
    private static final String FUNCTION = System.getenv("AWS_LAMBDA_FUNCTION_NAME");
    private static final String SERVICE = System.getenv().getOrDefault("POWERTOOLS_SERVICE_NAME", "foley");
    private static volatile Sink sink = defaultSink();
    private static volatile boolean coldStart = true;
    private static final ThreadLocal<Map<String, Object>> CONTEXT = ThreadLocal.withInitial(LinkedHashMap::new);

    private Log() {
    }

    static Sink defaultSink() {
        String file = System.getenv("FOLEY_LOG_FILE");
        if (file != null && !file.isBlank()) {
            return fileSink(java.nio.file.Path.of(file)); // local runs and benchmarks: every line, as on Lambda
        }
        if (ON_LAMBDA) {
            return (level, json, fields) -> System.out.println(json);
        }
        return new Sink() {
            @Override
            public void accept(Level level, String json, Map<String, Object> fields) {
                System.err.println(json);
            }

            @Override
            public boolean accepts(Level level) {
                return level.getSeverity() >= Level.WARNING.getSeverity(); // tests and tools: warnings and errors only
            }
        };
    }

    /** Every line appended to {@code file} (as a Lambda function's stdout would get them). */
    public static Sink fileSink(java.nio.file.Path file) {
        try {
            java.io.PrintStream to = new java.io.PrintStream(new java.io.FileOutputStream(file.toFile(), true), false,
                    java.nio.charset.StandardCharsets.UTF_8);
            return (level, json, fields) -> {
                synchronized (to) {
                    to.println(json);
                    to.flush();
                }
            };
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Sends every event to {@code s} from now on (local mode, tests). */
    public static void sinkTo(Sink s) {
        sink = s == null ? defaultSink() : s;
    }

    public static Sink sink() {
        return sink;
    }

    /** A named logger with the shape of {@link System.Logger}'s calls used here. */
    public static Logger logger(String name) {
        return new Logger(name);
    }

    public static final class Logger {
        private final String name;

        Logger(String name) {
            this.name = name;
        }

        public void log(Level level, String message, Object... params) {
            String text = params == null || params.length == 0 ? message : MessageFormat.format(message, params);
            Log.event(level, name, text, Map.of(), null);
        }

        public void log(Level level, String message, Throwable thrown) {
            Log.event(level, name, message, Map.of(), thrown);
        }

        /** An event with fields of its own (a phase change: prediction, provider, from, to, duration). */
        public void event(Level level, String message, Map<String, ?> fields) {
            Log.event(level, name, message, fields, null);
        }
    }

    /**
     * The start of an invocation: its Lambda request id and (for the API) API Gateway's, on every
     * event this thread logs until {@link Scope#close()}. The first invocation of a process is the
     * cold start.
     */
    public static Scope invocation(String functionRequestId, String correlationId) {
        Map<String, Object> add = new LinkedHashMap<>();
        add.put("function_request_id", functionRequestId);
        add.put("correlation_id", correlationId);
        add.put("cold_start", coldStart);
        coldStart = false;
        return with(add);
    }

    /** Fields on every event this thread logs until the scope closes (nested scopes restore the outer). */
    public static Scope with(String key, Object value) {
        Map<String, Object> add = new LinkedHashMap<>();
        add.put(key, value);
        return with(add);
    }

    private static Scope with(Map<String, Object> add) {
        Map<String, Object> ctx = CONTEXT.get();
        Map<String, Object> before = new LinkedHashMap<>(ctx);
        add.forEach((k, v) -> {
            if (v != null) {
                ctx.put(k, v);
            }
        });
        return () -> {
            ctx.clear();
            ctx.putAll(before);
        };
    }

    /** A context scope; closing restores what was there. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** A field of this thread's context (the request id an error envelope names, say), or null. */
    public static Object context(String key) {
        return CONTEXT.get().get(key);
    }

    static void event(Level level, String logger, String message, Map<String, ?> extra, Throwable thrown) {
        Sink s = sink;
        if (!s.accepts(level)) {
            return;
        }
        ObjectNode n = Json.object();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("timestamp", Instant.now().toString());
        fields.put("level", level == Level.WARNING ? "WARN" : level.getName());
        fields.put("message", message);
        fields.put("logger", logger);
        fields.put("service", SERVICE);
        if (FUNCTION != null) {
            fields.put("function_name", FUNCTION);
        }
        String trace = System.getProperty("com.amazonaws.xray.traceHeader", System.getenv("_X_AMZN_TRACE_ID"));
        if (trace != null) {
            fields.put("xray_trace_id", trace);
        }
        fields.putAll(CONTEXT.get());
        extra.forEach((k, v) -> {
            if (v != null) {
                fields.put(k, v);
            }
        });
        fields.forEach((k, v) -> {
            switch (v) {
                case Boolean b -> n.put(k, b);
                case Integer i -> n.put(k, i);
                case Long l -> n.put(k, l);
                case Double d -> n.put(k, d);
                default -> n.put(k, String.valueOf(v));
            }
        });
        if (thrown != null) {
            StringWriter stack = new StringWriter();
            thrown.printStackTrace(new PrintWriter(stack));
            n.putObject("error").put("type", thrown.getClass().getName()).put("message", String.valueOf(thrown.getMessage()))
                    .put("stack", stack.toString());
            fields.put("error", thrown.getClass().getSimpleName() + ": " + thrown.getMessage());
        }
        s.accept(level, Json.write(n), fields);
    }
}
