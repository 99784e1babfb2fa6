package dev.foley.provider;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** What clients may read of a provider's error text. */
class ProviderErrorsTest {

    @Test
    void aPythonTracebackGivesItsLastLineWithoutHostsOrAddresses() {
        String raw = """
                Traceback (most recent call last):
                  File "/opt/worker/predict.py", line 88, in run
                    out = model(x)
                RuntimeError: CUDA out of memory on gpu-17.internal (10.0.3.7:8000)
                """;
        String e = ProviderErrors.excerpt(raw);
        assertEquals("RuntimeError: CUDA out of memory on <host> (<address>)", e);
    }

    @Test
    void urlsHostsPathsAndAddressesAreMasked() {
        assertEquals("could not fetch <url>", ProviderErrors.excerpt("could not fetch https://cdn.internal.example.com/a.mp4?X-Amz-Signature=abc"));
        assertEquals("connect to <host> failed", ProviderErrors.excerpt("connect to worker-3.svc.cluster.local failed"));
        assertEquals("connect to <host> failed", ProviderErrors.excerpt("connect to redis-master:6379 failed"));
        assertEquals("no such file <path>", ProviderErrors.excerpt("no such file /home/runner/work/cache/weights.bin"));
        assertEquals("refused by <address>", ProviderErrors.excerpt("refused by fd00::17"));
        assertEquals("refused by <address>", ProviderErrors.excerpt("refused by 192.168.1.20"));
        assertEquals("at <host>", ProviderErrors.excerpt("at localhost:8080"));
    }

    @Test
    void aJavaStackTraceGivesItsFirstLine() {
        String raw = "java.lang.IllegalStateException: decoder died\n\tat a.b.Decoder.run(Decoder.java:12)\n\tat a.b.Main.main(Main.java:3)";
        assertEquals("java.lang.IllegalStateException: decoder died", ProviderErrors.excerpt(raw));
    }

    @Test
    void plainReasonsStayReadable() {
        assertEquals("video: cannot be downloaded", ProviderErrors.excerpt("video: cannot be downloaded"));
        assertEquals("duration: must be <= 30", ProviderErrors.excerpt("  duration: must be <= 30 \n"));
        assertEquals("clip.mp4 could not be decoded", ProviderErrors.excerpt("clip.mp4 could not be decoded"));
        assertEquals("the inference provider rejected the input (HTTP 422): prompt: too long",
                ProviderErrors.rejected(422, "prompt: too long"));
        assertEquals("the inference provider's job failed", ProviderErrors.jobFailed("   "));
    }

    @Test
    void excerptsAreShortAndFreeOfControlCharacters() {
        String e = ProviderErrors.excerpt("x".repeat(1000) + "\u0007\u001b[31m");
        assertTrue(e.length() <= ProviderErrors.MAX_EXCERPT, e);
        assertTrue(e.endsWith("..."));
        assertFalse(ProviderErrors.excerpt("bad\u0000byte\u001bhere").chars().anyMatch(Character::isISOControl));
    }

    @Test
    void anExceptionsMessageIsPreferredToTheSourceLinePythonEchoes() {
        String cutShort = """
                CUDA out of memory. Tried to allocate 2.00 GiB
                Traceback (most recent call last):
                  File "/app/predict.py", line 88, in run
                    raise RuntimeError('OOM')
                """;
        assertEquals("CUDA out of memory. Tried to allocate 2.00 GiB", ProviderErrors.excerpt(cutShort));
        String whole = """
                Traceback (most recent call last):
                  File "/app/predict.py", line 88, in run
                    raise RuntimeError('OOM')
                RuntimeError: CUDA out of memory
                """;
        assertEquals("RuntimeError: CUDA out of memory", ProviderErrors.excerpt(whole));
        String chained = """
                Traceback (most recent call last):
                  File "/app/a.py", line 3, in f
                    torch.cuda.alloc()
                torch.OutOfMemoryError: CUDA out of memory
                
                During handling of the above exception, another exception occurred:
                
                Traceback (most recent call last):
                  File "/app/a.py", line 9, in g
                    raise RuntimeError('OOM')
                RuntimeError: OOM
                """;
        assertEquals("RuntimeError: OOM", ProviderErrors.excerpt(chained), "the last exception, with its message");
    }
}
