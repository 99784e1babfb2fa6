package dev.foley.pipeline;

import dev.foley.net.PinnedHttp;
import dev.foley.prediction.Prediction;
import dev.foley.store.OutputStore;
import dev.foley.store.StoreUnavailableException;
import dev.foley.time.Deadline;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Copies a prediction's outputs from its provider into our bucket: each fetched through
 * {@link PinnedHttp} (the address checked is the address used, redirects re-checked), with a read
 * timeout (a stalled body fails) and a deadline for the whole copy, and streamed into
 * {@link OutputStore}. An output already copied (a retried completion) is not fetched again.
 */
public final class OutputCopy {

    /** A copy that did not finish; {@code retryable} says whether trying later can help. */
    public static final class CopyException extends StepException {
        public CopyException(String message, boolean retryable) {
            super(message, retryable);
        }
    }

    /** A download that sends nothing for this long has stalled. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private final OutputStore store;
    private final PinnedHttp http;
    private final Duration readTimeout;

    public OutputCopy(OutputStore store, PinnedHttp http) {
        this(store, http, READ_TIMEOUT);
    }

    public OutputCopy(OutputStore store, PinnedHttp http, Duration readTimeout) {
        this.store = store;
        this.http = http;
        this.readTimeout = readTimeout;
    }

    /** Copies each upstream output, done by {@code until}; returns the object keys, in order. */
    public List<String> copy(Prediction p, Deadline until) throws CopyException {
        List<String> keys = new ArrayList<>();
        List<String> urls = p.upstreamOutputs();
        for (int i = 0; i < urls.size(); i++) {
            String key = OutputStore.keyOf(p.id(), i, OutputStore.extension(urls.get(i)));
            if (!store.copied(key)) {
                copyOne(URI.create(urls.get(i)), key, until);
            }
            keys.add(key);
        }
        return keys;
    }

    private void copyOne(URI source, String key, Deadline until) throws CopyException {
        try (PinnedHttp.Response resp = http.get(source, Map.of("Accept", "*/*"), readTimeout, until)) {
            int status = resp.status();
            if (status != 200) {
                // A link that 404s may be a CDN not caught up yet: paid work is worth another try.
                throw new CopyException("the provider's output answered HTTP " + status, true);
            }
            long t0 = System.nanoTime();
            var counted = new java.io.FilterInputStream(resp.body()) {
                long bytes;

                @Override
                public int read() throws IOException {
                    int c = super.read();
                    bytes += c >= 0 ? 1 : 0;
                    return c;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    bytes += Math.max(0, n);
                    return n;
                }
            };
            store.put(key, counted, resp.header("content-type"));
            dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.BytesCopied, counted.bytes);
            dev.foley.obs.Metrics.put(dev.foley.obs.Metrics.Metric.CopyTime, (System.nanoTime() - t0) / 1_000_000);
        } catch (PinnedHttp.FetchException e) {
            throw new CopyException("the provider's output could not be fetched: " + e.getMessage(), !e.refused());
        } catch (IOException e) {
            throw new CopyException("the provider's output broke off while copying (" + e.getMessage() + ")", true);
        } catch (StoreUnavailableException e) {
            throw new CopyException("our bucket could not be written (" + e.getMessage() + ")", true);
        }
    }
}
