package dev.foley.local.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.net.PinnedHttp;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Webhook delivery's HTTP: the checked address is the one connected to; no redirects followed. */
class PinnedHttpTest {

    @Test
    void strictModeRefusesNamesThatResolveToPrivateAddresses() throws Exception {
        try (WebhookReceiver r = new WebhookReceiver()) {
            String url = r.url("/x").replace("127.0.0.1", "localhost");
            PinnedHttp.Result strict = new PinnedHttp(true).post(URI.create(url), Map.of(), "{}".getBytes(), Duration.ofSeconds(2));
            assertFalse(strict.ok());
            assertTrue(strict.error().contains("not a public address"), strict.error());
            assertEquals(0, r.received().size(), "nothing was sent");
            PinnedHttp.Result lax = new PinnedHttp(false).post(URI.create(url), Map.of("webhook-id", "m1"), "{}".getBytes(),
                    Duration.ofSeconds(2));
            assertTrue(lax.ok(), lax.toString());
            assertEquals("m1", r.received().get(0).headers().get("webhook-id"));
            assertEquals("{}", new String(r.received().get(0).body()));
        }
    }

    @Test
    void redirectsAreNotFollowedAndFailuresAreNamed() throws Exception {
        try (WebhookReceiver r = new WebhookReceiver()) {
            r.answer(302);
            PinnedHttp.Result res = new PinnedHttp(false).post(URI.create(r.url("/y")), Map.of(), "{}".getBytes(), Duration.ofSeconds(2));
            assertEquals(302, res.status());
            assertFalse(res.ok());
            assertEquals("redirects are not followed", res.error());
            assertEquals(1, r.received().size());
        }
        PinnedHttp.Result refused = new PinnedHttp(false).post(URI.create("http://127.0.0.1:9/z"), Map.of(), new byte[0],
                Duration.ofSeconds(1));
        assertEquals(0, refused.status());
        assertTrue(refused.error().startsWith("connection failed"), refused.error());
        assertTrue(new PinnedHttp(true).post(URI.create("http://no-such-host.invalid/"), Map.of(), new byte[0],
                Duration.ofSeconds(1)).error().contains("does not resolve"));
    }
}
