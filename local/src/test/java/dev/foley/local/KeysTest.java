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
        int rc = FoleyCli.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
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
        assertThrows(FoleyCli.UsageException.class, () -> FoleyCli.run(new String[] {"keys"}, System.out));
        assertThrows(FoleyCli.UsageException.class, () -> FoleyCli.run(new String[] {"keys", "create"}, System.out));
        assertThrows(FoleyCli.UsageException.class, () -> FoleyCli.run(new String[] {"frobnicate"}, System.out));
        assertThrows(FoleyCli.UsageException.class, () -> FoleyCli.run(new String[] {"serve", "--port", "eighty"}, System.out));
        assertThrows(FoleyCli.UsageException.class, () -> FoleyCli.run(new String[] {"serve", "--prot", "8080"}, System.out));
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
}
