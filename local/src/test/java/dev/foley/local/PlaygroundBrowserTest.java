package dev.foley.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The playground in headless Chromium (Debian's {@code chromium}, driven by {@code playwright-core};
 * no browser download) against local mode as {@code ./foley serve} runs it: upload a clip,
 * generate, play the result; a bad duration and a wrong key shown where they belong; the form
 * against the OpenAPI document. Install with {@code local/src/test/playground/install-browser.sh};
 * skipped, saying so, without a browser, and required in CI ({@code FOLEY_REQUIRE_BROWSER=1}).
 * Screenshots: {@code local/target/playground-shots/}.
 */
@ExtendWith(Moto.class)
class PlaygroundBrowserTest {

    static final Path DIR = Moto.projectRoot().resolve("local/src/test/playground");

    @Test
    void thePlaygroundWorksInARealBrowser() throws Exception {
        boolean required = "1".equals(System.getenv("FOLEY_REQUIRE_BROWSER"));
        boolean have = Files.isExecutable(Path.of("/usr/bin/chromium")) && SdkCompatTest.works("node", "--version")
                && SdkCompatTest.works("npm", "--version");
        if (required && !have) {
            throw new AssertionError("FOLEY_REQUIRE_BROWSER=1 but chromium, node or npm is missing: "
                    + "run local/src/test/playground/install-browser.sh");
        }
        assumeTrue(have, "chromium/node not installed (local/src/test/playground/install-browser.sh): browser test skipped");
        Path logs = Moto.projectRoot().resolve("local/target");
        if (!Files.isDirectory(DIR.resolve("node_modules/playwright-core"))) {
            assertEquals(0, run(List.of("npm", "install", "--no-audit", "--no-fund"), Map.of(), logs.resolve("npm-playwright.log")));
        }
        Path shots = Files.createDirectories(logs.resolve("playground-shots"));
        // A 12 s clip of three shots (cuts at 4 and 8 s, made here by Clips.shots) for the timeline's test.
        Path threeShots = dev.foley.local.bench.Clips.shots(logs.resolve("three-shots-12s.mp4"), 320, 180, 24, 12,
                new double[] {4, 8}, new double[] {1.5, 5.5, 9.5}, new double[0], Double.NaN);
        var o = new LocalFoley.Options(0, Moto.endpoint(), Moto.template(), Moto.tableName("playground"),
                "fk_playground-dev-key-0123456789", false, Map.of(), logs.resolve("playground-data"));
        try (LocalFoley foley = LocalFoley.start(o)) {
            Path log = logs.resolve("playground-test.log");
            int rc = run(List.of("node", "--test", "playground.test.mjs"), Map.of("FOLEY_BASE_URL", foley.baseUrl(),
                    "FOLEY_DEV_KEY", foley.apiKey(), "FOLEY_SHOTS", shots.toString(), "FOLEY_THREE_SHOTS", threeShots.toString()), log);
            String out = Files.readString(log);
            System.out.println(out);
            assertEquals(0, rc, "browser test failed (screenshots in " + shots + "):\n" + out);
            assertTrue(out.contains("# fail 0") && out.contains("# pass 8"), out);
        }
    }

    static int run(List<String> command, Map<String, String> env, Path log) throws Exception {
        return SdkCompatTest.run(DIR, command, env, log);
    }
}
