package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.api.KeyAuthenticator;
import dev.foley.key.KeyMaterial;
import dev.foley.store.ApiKeyStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** API keys: the CLI, storage as a hash only, and the authenticator's short cache. */
@ExtendWith(Moto.class)
class KeysTest {

    static String cli(String... args) throws Exception {
        var buf = new ByteArrayOutputStream();
        int rc = FoleyCli.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8), System.err);
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, out);
        return out;
    }

    @Test
    void cliCreatesListsAndDisablesKeysThatAuthenticate() throws Exception {
        var s = Moto.settings(Moto.tableName("cli"), Map.of());
        var dynamo = Moto.freshTable(s);
        String endpoint = Moto.endpoint().toString();
        String out = cli("keys", "create", "--name", "ci robot", "--aws-endpoint", endpoint, "--table", s.table());
        Matcher key = Pattern.compile("API key\\s+(fk_\\S+)").matcher(out);
        Matcher id = Pattern.compile("key id\\s+(key_[0-9a-f]+)").matcher(out);
        assertTrue(key.find() && id.find(), out);

        // Only the hash is stored: the plain key appears nowhere in the table.
        var items = dynamo.scan(r -> r.tableName(s.table())).items();
        for (Map<String, AttributeValue> item : items) {
            assertFalse(item.toString().contains(key.group(1)));
        }
        assertTrue(items.stream().anyMatch(i -> i.get("PK").s().equals("K#" + KeyMaterial.sha256Hex(key.group(1)))));

        var auth = new KeyAuthenticator(new ApiKeyStore(dynamo, s.table(), Clock.systemUTC()), Clock.systemUTC(), Duration.ZERO);
        assertEquals(id.group(1), auth.authenticate("Bearer " + key.group(1)).keyId());

        String listed = cli("keys", "list", "--aws-endpoint", endpoint, "--table", s.table());
        assertTrue(listed.contains(id.group(1)) && listed.contains("active") && listed.contains("ci robot"), listed);
        assertFalse(listed.contains(key.group(1)), "list never shows keys");

        cli("keys", "disable", id.group(1), "--aws-endpoint", endpoint, "--table", s.table());
        assertTrue(cli("keys", "list", "--aws-endpoint", endpoint, "--table", s.table()).contains("disabled"));
        var e = assertThrows(KeyAuthenticator.Unauthenticated.class, () -> auth.authenticate("Bearer " + key.group(1)));
        assertTrue(e.getMessage().contains("disabled"));
    }

    @Test
    void cliRefusesBadUsageClearly() {
        // Each refusal: exit code 2, nothing run, and the error names what was wrong.
        refused("keys needs a subcommand", "keys");
        refused("Missing required option: '--name=NAME'", "keys", "create");
        refused("Unmatched argument at index 0: 'frobnicate'", "frobnicate");
        refused("Invalid value for option '--port': must be a port number (0 to 65535), got 'eighty'", "serve", "--port", "eighty");
        refused("Unknown options: '--prot', '8080'", "serve", "--prot", "8080");
        refused("Invalid value for option '--usd': an amount of dollars like 10 or 0.25 is needed, got '-3'",
                "keys", "credit", "key_1", "--usd", "-3");
        refused("expected one of [api, pipeline, startup, jobs, media, check, scenes]", "bench", "pipelines");
        refused("Invalid value for option '--n': must be a whole number of at least 1, got '0'", "bench", "--n", "0");
    }

    @Test
    void everyCommandHasItsOwnHelp() {
        for (String[] c : new String[][] {{"serve"}, {"generate"}, {"bench"}, {"keys"}, {"keys", "create"}, {"keys", "credit"}}) {
            var buf = new ByteArrayOutputStream();
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(c), java.util.stream.Stream.of("--help"))
                    .toArray(String[]::new);
            assertEquals(0, FoleyCli.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8), System.err));
            String help = buf.toString(StandardCharsets.UTF_8);
            assertTrue(help.startsWith("Usage: ./foley " + String.join(" ", c)), help);
        }
        var buf = new ByteArrayOutputStream();
        FoleyCli.run(new String[] {"bench", "--help"}, new PrintStream(buf, true, StandardCharsets.UTF_8), System.err);
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("--n=N"), buf.toString(StandardCharsets.UTF_8));
    }

    static void refused(String expected, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int rc = FoleyCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String said = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, rc, said);
        assertTrue(said.contains(expected), said);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void disabledKeyStopsWorkingWhenTheCacheEntryExpires() throws Exception {
        var s = Moto.settings(Moto.tableName("cache"), Map.of());
        var dynamo = Moto.freshTable(s);
        var clock = new TestClock();
        var store = new ApiKeyStore(dynamo, s.table(), clock);
        var k = store.create("cached");
        var auth = new KeyAuthenticator(store, clock, Duration.ofSeconds(60));
        auth.authenticate("Bearer " + k.plainKey());
        store.disable(k.key().keyId());
        clock.advance(Duration.ofSeconds(30));
        assertEquals(k.key().keyId(), auth.authenticate("Bearer " + k.plainKey()).keyId(), "within the TTL the cache answers");
        clock.advance(Duration.ofSeconds(31));
        assertThrows(KeyAuthenticator.Unauthenticated.class, () -> auth.authenticate("Bearer " + k.plainKey()));
        // A key made after a miss works at once: misses are not cached.
        assertThrows(KeyAuthenticator.Unauthenticated.class, () -> auth.authenticate("Bearer fk_later"));
        store.create("later", "fk_later");
        assertEquals("later", auth.authenticate("bearer   fk_later").name());
    }

    @Test
    void keysAreMadeWithLimitsAndTheirLimitsChangeLater() throws Exception {
        var s = Moto.settings(Moto.tableName("limits"), Map.of());
        Moto.freshTable(s);
        String endpoint = Moto.endpoint().toString();
        String out = cli("keys", "create", "--name", "metered", "--rate", "5/s", "--max-in-flight", "10", "--aws-endpoint", endpoint,
                "--table", s.table());
        assertTrue(out.contains("rate 5/s, in flight 10"), out);
        Matcher id = Pattern.compile("key id\\s+(key_[0-9a-f]+)").matcher(out);
        assertTrue(id.find(), out);
        String listed = cli("keys", "list", "--aws-endpoint", endpoint, "--table", s.table());
        assertTrue(listed.matches("(?s).*" + id.group(1) + ".*5/s\\s+10\\s+metered.*"), listed);
        String changed = cli("keys", "limits", id.group(1), "--rate", "300/min", "--max-in-flight", "none", "--aws-endpoint", endpoint,
                "--table", s.table());
        assertTrue(changed.contains("rate 300/min, in flight none"), changed);
        listed = cli("keys", "list", "--aws-endpoint", endpoint, "--table", s.table());
        assertTrue(listed.matches("(?s).*" + id.group(1) + ".*300/min\\s+none\\s+metered.*"), listed);
        cli("keys", "limits", id.group(1), "--rate", "default", "--aws-endpoint", endpoint, "--table", s.table());
        assertTrue(cli("keys", "list", "--aws-endpoint", endpoint, "--table", s.table())
                .matches("(?s).*" + id.group(1) + ".*default\\s+none\\s+metered.*"));
        // A bad value is named before anything is reached.
        var buf = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int rc = FoleyCli.run(new String[] {"keys", "create", "--name", "x", "--rate", "fast", "--aws-endpoint", endpoint, "--table", s.table()},
                new PrintStream(buf, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--rate: a rate like 5/s or 300/min"), err.toString(StandardCharsets.UTF_8));
    }
}
