package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.foley.api.FoleyApi;
import dev.foley.store.FoleyTable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;

/** template.yaml is the single definition of the table and the routes: check both against the code. */
@ExtendWith(Moto.class)
class TemplateTest {

    static JsonNode template() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(Moto.template().toFile());
    }

    @Test
    void everyApiRouteIsWiredInTheTemplateAndNothingElse() throws Exception {
        Set<String> wired = new TreeSet<>();
        boolean catchAll = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = template().at("/Resources/ApiFunction/Properties/Events").fields(); it.hasNext(); ) {
            JsonNode p = it.next().getValue().get("Properties");
            if (p.get("Path").asText().equals("$default")) {
                catchAll = true;
            } else {
                wired.add(p.get("Method").asText() + " " + p.get("Path").asText());
            }
        }
        Set<String> served = new TreeSet<>();
        FoleyApi.ROUTES.forEach(r -> served.add(r.method() + " " + r.pattern()));
        assertEquals(served, wired);
        assertTrue(catchAll, "unknown routes must reach the API for its own 404/405 envelope");
    }

    @Test
    void everyAlarmAndDashboardMetricIsOneTheCodeEmits() throws Exception {
        java.util.Set<String> known = new java.util.TreeSet<>();
        for (var m : dev.foley.obs.Metrics.Metric.values()) {
            known.add(m.name());
        }
        // Each is emitted somewhere in the code (not only declared).
        String code;
        try (var files = java.nio.file.Files.walk(Moto.projectRoot().resolve("shared/src/main/java"))) {
            code = files.filter(f -> f.toString().endsWith(".java") && !f.endsWith("Metrics.java")).map(f -> {
                try {
                    return java.nio.file.Files.readString(f);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).reduce("", String::concat);
        }
        for (String m : known) {
            assertTrue(code.contains("Metric." + m), m + " is declared but never emitted");
        }
        JsonNode resources = template().get("Resources");
        int alarms = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = resources.fields(); it.hasNext(); ) {
            var r = it.next();
            JsonNode p = r.getValue().path("Properties");
            if (r.getValue().path("Type").asText().equals("AWS::CloudWatch::Alarm") && p.path("Namespace").asText().startsWith("Foley/")) {
                alarms++;
                assertTrue(known.contains(p.path("MetricName").asText()), r.getKey() + " watches " + p.path("MetricName") + ", not one of " + known);
            }
        }
        assertTrue(alarms >= 4, "alarms on API 5xx, failed predictions, webhook give-ups, poller lag");
        String body = resources.at("/Dashboard/Properties/DashboardBody").asText();
        JsonNode dash = dev.foley.json.Json.parse(body);
        int widgets = 0;
        for (JsonNode w : dash.get("widgets")) {
            for (JsonNode m : w.at("/properties/metrics")) {
                widgets++;
                if (m.get(0).asText().startsWith("Foley/")) {
                    assertTrue(known.contains(m.get(1).asText()), "dashboard shows " + m.get(1) + ", not one of " + known);
                }
            }
        }
        assertTrue(widgets > 10, body);
        // The code's namespace is the template's.
        assertEquals("Foley/${AWS::StackName}", template().at("/Globals/Function/Environment/Variables/FOLEY_METRICS_NAMESPACE").asText());
    }

    @Test
    void theHttpApiIsThrottledAtTheStageAsTheOuterFence() throws Exception {
        JsonNode api = template().get("Resources").get("HttpApi");
        JsonNode route = api.at("/Properties/DefaultRouteSettings");
        assertEquals("ApiThrottleRate", route.path("ThrottlingRateLimit").asText(), api.toString());
        assertEquals("ApiThrottleBurst", route.path("ThrottlingBurstLimit").asText(), api.toString());
        JsonNode params = template().get("Parameters");
        assertTrue(params.at("/ApiThrottleRate/Default").asInt() > 0 && params.at("/ApiThrottleBurst/Default").asInt() > 0);
    }

    /**
     * What each trigger's handler takes: API Gateway's and S3's events as the Lambda events
     * library's types (the runtime reads them); the schedule's tick (whose contents the poller does
     * not read) and Foley's own async invoke ({@code {prediction_id}}) as the JSON read into a map,
     * so the poller, completion and media zips carry no events library (nor joda-time, which the
     * schedule's typed event would need). EventFixtureTest feeds each handler the events/ fixture of
     * its trigger.
     */
    static final Map<String, Class<?>> EVENT_OF_TRIGGER = Map.of(
            "HttpApi", com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent.class,
            "ScheduleV2", Map.class,
            "S3", com.amazonaws.services.lambda.runtime.events.S3Event.class,
            "async", Map.class);

    @Test
    void everyFunctionIsTheZipItsModuleBuildsWithAHandlerOfItsTriggersEvent() throws Exception {
        JsonNode resources = template().get("Resources");
        int functions = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = resources.fields(); it.hasNext(); ) {
            var r = it.next();
            if (!r.getValue().path("Type").asText().equals("AWS::Serverless::Function")) {
                continue;
            }
            functions++;
            JsonNode props = r.getValue().get("Properties");
            String codeUri = props.get("CodeUri").asText();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("functions/(\\w+)/target/(\\w+)\\.zip").matcher(codeUri);
            assertTrue(m.matches() && m.group(1).equals(m.group(2)), r.getKey() + ": CodeUri must be functions/<m>/target/<m>.zip, is " + codeUri);
            String pom = java.nio.file.Files.readString(Moto.projectRoot().resolve("functions/" + m.group(1) + "/pom.xml"));
            assertTrue(pom.contains("<finalName>" + m.group(1) + "</finalName>"), "the module builds " + codeUri);
            java.nio.file.Path zip = Moto.projectRoot().resolve(codeUri);
            assertTrue(java.nio.file.Files.isRegularFile(zip), zip + " is built by ./mvnw package (run ./mvnw verify)");

            String handler = props.get("Handler").asText();
            String className = handler.substring(0, handler.indexOf("::"));
            String trigger = "async";
            for (Iterator<JsonNode> ev = props.path("Events").elements(); ev.hasNext(); ) {
                trigger = ev.next().get("Type").asText();
            }
            Class<?> expected = EVENT_OF_TRIGGER.get(trigger);
            assertNotNull(expected, "unknown trigger " + trigger);
            try (var loader = zipLoader(zip)) {
                Class<?> c = Class.forName(className, false, loader);
                Class<?> rh = loader.loadClass("com.amazonaws.services.lambda.runtime.RequestHandler");
                assertTrue(rh.isAssignableFrom(c), className + " is a RequestHandler");
                java.lang.reflect.Type event = null;
                for (java.lang.reflect.Type t : c.getGenericInterfaces()) {
                    if (t instanceof java.lang.reflect.ParameterizedType pt && pt.getRawType().getTypeName().equals(rh.getName())) {
                        event = pt.getActualTypeArguments()[0];
                    }
                }
                assertNotNull(event);
                String eventName = event instanceof java.lang.reflect.ParameterizedType pt ? pt.getRawType().getTypeName() : event.getTypeName();
                assertEquals(expected.getName(), eventName, className + " must take the event its " + trigger + " trigger sends");
                assertNotNull(loader.findResourceInZip(className.replace('.', '/') + ".class"), "handler class at the zip's root");
                if (expected == Map.class) {
                    assertThrows(ClassNotFoundException.class, () -> loader.loadClass("com.amazonaws.services.lambda.runtime.events.S3Event"),
                            zip + " carries the events library, which its handler does not need");
                } else {
                    assertEquals(expected.getName(), loader.loadClass(expected.getName()).getName(),
                            zip + " carries the events library its handler takes");
                }
                if (!trigger.equals("S3")) {
                    assertThrows(ClassNotFoundException.class, () -> loader.loadClass("org.joda.time.DateTime"),
                            zip + " carries joda-time, which only S3's typed event needs");
                }
            }
        }
        assertEquals(5, functions);
    }

    /**
     * FFmpeg reaches Lambda only in the media function's layer, and as the linux-arm64 build (Lambda
     * runs arm64; this machine is x86_64): every native library in the layer is an AArch64 ELF file,
     * none is x86-64, and no function zip carries a native library or JavaCV at all.
     */
    @Test
    void onlyTheMediaFunctionHasFfmpegAndItIsTheArm64Build() throws Exception {
        JsonNode resources = template().get("Resources");
        String layer = resources.at("/FfmpegLayer/Properties/ContentUri").asText();
        assertEquals("FfmpegLayer", resources.at("/MediaFunction/Properties/Layers/0").asText(), "the media function has the FFmpeg layer");
        for (String other : List.of("ApiFunction", "PollerFunction", "CompletionFunction", "IngestFunction")) {
            assertTrue(resources.at("/" + other + "/Properties/Layers").isMissingNode(), other + " has no FFmpeg layer");
        }
        assertEquals("arm64", resources.at("/FfmpegLayer/Properties/CompatibleArchitectures/0").asText());
        java.nio.file.Path zip = Moto.projectRoot().resolve(layer);
        assertTrue(java.nio.file.Files.isRegularFile(zip), zip + " is built by ./mvnw package");
        Map<String, Integer> machines = new java.util.TreeMap<>();
        boolean javacv = false;
        try (var z = new java.util.zip.ZipFile(zip.toFile())) {
            for (var e : java.util.Collections.list(z.entries())) {
                if (e.getName().startsWith("java/lib/javacv-")) {
                    javacv = true;
                }
                if (!e.getName().startsWith("java/lib/") || !e.getName().endsWith(".jar")) {
                    continue;
                }
                try (var jar = new java.util.zip.ZipInputStream(z.getInputStream(e))) {
                    for (var inner = jar.getNextEntry(); inner != null; inner = jar.getNextEntry()) {
                        String n = inner.getName();
                        if (n.matches(".*\\.so(\\.[0-9]+)*$")) {
                            byte[] head = jar.readNBytes(20);
                            assertEquals(0x7f, head[0] & 0xff, n + " is an ELF file");
                            int machine = (head[18] & 0xff) | (head[19] & 0xff) << 8;
                            machines.merge(n.substring(n.lastIndexOf('/') + 1).replaceAll("\\.so.*", ""), machine, (a, b) -> a == b ? a : -1);
                        }
                    }
                }
            }
        }
        assertTrue(javacv, "JavaCV is in the layer");
        for (String lib : List.of("libavcodec", "libavformat", "libavutil", "libswresample", "libswscale", "libjniavcodec", "libjnijavacpp")) {
            assertEquals(183, machines.getOrDefault(lib, 0), lib + " must be in the layer, built for AArch64 (EM_AARCH64 = 183): " + machines);
        }
        assertFalse(machines.containsValue(62), "no x86-64 library (EM_X86_64 = 62) in the layer: " + machines);
        for (String fn : List.of("api", "poller", "completion", "ingest", "media")) {
            java.nio.file.Path f = Moto.projectRoot().resolve("functions/" + fn + "/target/" + fn + ".zip");
            assertTrue(java.nio.file.Files.size(f) < 15_000_000, f + " is " + java.nio.file.Files.size(f) + " bytes; each zip stays under 15 MB");
            try (var z = new java.util.zip.ZipFile(f.toFile())) {
                for (var e : java.util.Collections.list(z.entries())) {
                    assertFalse(e.getName().matches("lib/(javacv|javacpp|ffmpeg).*"), f + " carries " + e.getName() + " (FFmpeg lives in the layer)");
                    assertFalse(e.getName().endsWith(".so"), f + " carries a native library " + e.getName());
                }
            }
        }
    }

    /** A class loader over a Lambda zip: classes at the root, jars in lib/ (unpacked to a temp dir). */
    static final class ZipLoader extends java.net.URLClassLoader {
        private final java.nio.file.Path root;

        ZipLoader(java.nio.file.Path root, java.net.URL[] urls) {
            super(urls, ClassLoader.getPlatformClassLoader());
            this.root = root;
        }

        java.net.URL findResourceInZip(String name) {
            return java.nio.file.Files.exists(root.resolve(name)) ? findResource(name) : null;
        }
    }

    static ZipLoader zipLoader(java.nio.file.Path zip) throws Exception {
        java.nio.file.Path dir = dev.foley.local.bench.HandlerStartup.unzip(zip, java.nio.file.Files.createTempDirectory("lambda-zip"));
        java.util.List<java.net.URL> urls = new java.util.ArrayList<>();
        urls.add(dir.toUri().toURL());
        try (var jars = java.nio.file.Files.list(dir.resolve("lib"))) {
            for (var j : (Iterable<java.nio.file.Path>) jars::iterator) {
                urls.add(j.toUri().toURL());
            }
        }
        return new ZipLoader(dir, urls.toArray(new java.net.URL[0]));
    }

    /** Variables that come from elsewhere: the Lambda runtime, local overrides, or SSM (FOLEY_SECRETS_PATH). */
    /** Set by the Lambda runtime itself, or only meaningful against a local endpoint. */
    static final Set<String> NOT_FROM_TEMPLATE = Set.of("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_LAMBDA_FUNCTION_NAME", "FOLEY_LOG_FILE");

    @Test
    void everyVariableTheCodeReadsIsSetByTheTemplate() throws Exception {
        Set<String> read = new TreeSet<>();
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(
                "(?:env\\.get|getOrDefault|getenv|env, )\\(?\"([A-Z][A-Z0-9_]+)\"");
        for (String dir : java.util.List.of("shared/src/main/java", "functions")) {
            try (var files = java.nio.file.Files.walk(Moto.projectRoot().resolve(dir))) {
                for (var f : (Iterable<java.nio.file.Path>) files.filter(x -> x.toString().endsWith(".java"))::iterator) {
                    var m = p.matcher(java.nio.file.Files.readString(f));
                    while (m.find()) {
                        read.add(m.group(1));
                    }
                }
            }
        }
        assertTrue(read.contains("FOLEY_TABLE") && read.contains("FAL_KEY"), "the scan finds the reads: " + read);
        Set<String> set = new TreeSet<>();
        template().at("/Globals/Function/Environment/Variables").fieldNames().forEachRemaining(set::add);
        read.removeAll(NOT_FROM_TEMPLATE);
        read.removeAll(dev.foley.config.Secrets.NAMES);
        read.removeAll(set);
        assertEquals(Set.of(), read, "read by the code but not set by template.yaml");
    }

    @Test
    void localTableIsBuiltFromTheTemplateWithItsIndexesAndTtl() throws Exception {
        var s = Moto.settings(Moto.tableName("tmpl"), Map.of());
        try (var dynamo = Moto.freshTable(s)) {
            var t = dynamo.describeTable(r -> r.tableName(s.table())).table();
            Set<String> indexes = new TreeSet<>();
            t.globalSecondaryIndexes().forEach(g -> {
                indexes.add(g.indexName());
                assertEquals(IndexStatus.ACTIVE, g.indexStatus());
            });
            assertEquals(Set.of(FoleyTable.DUE_INDEX, FoleyTable.BY_KEY_INDEX), indexes);
            var ttl = dynamo.describeTimeToLive(r -> r.tableName(s.table())).timeToLiveDescription();
            assertEquals(FoleyTable.EXPIRES_AT, ttl.attributeName());
            assertEquals(TimeToLiveStatus.ENABLED, ttl.timeToLiveStatus());
        }
    }
}
