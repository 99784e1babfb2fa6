package dev.foley.net;

import dev.foley.time.Deadline;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * Fails a read once the whole download's deadline (or {@link #MAX_FETCH_TIME}) has passed, when
 * a {@link #FLOOR_WINDOW} brought less than the floor (a body that trickles in), or when the
 * reading thread was interrupted (its work was cancelled): no fetch holds a worker for long.
 */
final class PacedInput extends FilterInputStream {

    /** The least a body must average over each {@link #FLOOR_WINDOW}: 16 KB/s (a phone's slow uplink is ten times that). */
    static final long FLOOR_BYTES_PER_SECOND = 16 * 1024;
    static final Duration FLOOR_WINDOW = Duration.ofSeconds(20);
    /** The longest one fetch may take in all, whatever its caller's deadline (4 GB at 10 MB/s fits). */
    static final Duration MAX_FETCH_TIME = Duration.ofMinutes(10);

    private final Deadline until;
    private final long startNanos;
    private long windowStart = -1;
    private long windowBytes;

    PacedInput(InputStream in, Deadline until, long startNanos) {
        super(in);
        this.until = until;
        this.startNanos = startNanos;
    }

    @Override
    public int read() throws IOException {
        check();
        int b = super.read();
        account(b < 0 ? 0 : 1);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        check();
        int n = super.read(b, off, len);
        account(Math.max(0, n));
        return n;
    }

    private void check() throws IOException {
        if (Thread.currentThread().isInterrupted()) {
            throw new java.io.InterruptedIOException("the fetch was stopped (its work was cancelled)");
        }
        if (until.passed()) {
            throw new IOException("the download took too long");
        }
        if (System.nanoTime() - startNanos > MAX_FETCH_TIME.toNanos()) {
            throw new PinnedHttp.TooSlowException("not fetched whole within " + MAX_FETCH_TIME.toMinutes() + " minutes");
        }
    }

    private void account(int n) throws PinnedHttp.TooSlowException {
        if (windowStart < 0) {
            if (n == 0) {
                return;
            }
            windowStart = System.nanoTime(); // the first bytes: the floor counts from here
        }
        windowBytes += n;
        long elapsed = System.nanoTime() - windowStart;
        if (elapsed < FLOOR_WINDOW.toNanos()) {
            return;
        }
        double seconds = elapsed / 1e9;
        if (windowBytes < FLOOR_BYTES_PER_SECOND * seconds) {
            throw new PinnedHttp.TooSlowException(String.format(java.util.Locale.ROOT,
                    "the server sent %d bytes in %.0f s, under the floor of %d KB/s (a stalled or trickling server)",
                    windowBytes, seconds, FLOOR_BYTES_PER_SECOND / 1024));
        }
        windowStart = System.nanoTime();
        windowBytes = 0;
    }
}
