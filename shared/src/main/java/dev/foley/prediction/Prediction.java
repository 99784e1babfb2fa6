package dev.foley.prediction;

import java.time.Instant;
import java.util.List;

/**
 * A prediction as stored: who asked, what they asked for, where it is in its life. The provider
 * jobs, the provider's own output URLs and the log of attempts are kept here and never shown to
 * the client.
 *
 * @param keyHash         the SHA-256 of the API key (its item's address): webhooks find the key's
 *                        secret by it without a scan, and a reservation is refunded to it
 * @param ingestKey       for an S3-triggered prediction, the uploaded object's key ({@code inputs/…})
 * @param dueAt           when timed work is next due (the {@code due} index); null when none is
 * @param lease           who holds the current step, until when; null when nobody does
 * @param jobs            every provider job started for it, the one it tracks, the ones stopped
 * @param checks          status checks made so far (for the check backoff); while accepted, the submits that failed
 * @param notFoundChecks  status checks in a row that found the job unknown to its provider
 * @param upstreamAt      when the provider's job was seen done (null before)
 * @param upstreamOutputs the provider's output URLs, between upstream done and the copy
 * @param copyAttempts    copies of the outputs that failed so far (for their backoff)
 * @param outputKeys      where the outputs live in our bucket, once copied (clients get links to these)
 * @param chargeMicroUsd  what the completed prediction cost, in micro-dollars (0 until completed)
 * @param reservedMicroUsd what a prepaid key reserved for it at submit (refunded if it does not complete)
 * @param notifications   what a finished prediction still owes: its webhook, its result file
 * @param attempts        one line per provider call, cancel, copy and delivery attempt (operators only)
 * @param windows         long model: how the video was cut and how many windows are done (null before the cut, and for the others)
 * @param slot            the provider whose in-flight slot this prediction holds ({@code FOLEY_PROVIDER_MAX_IN_FLIGHT});
 *                        null when it holds none (no cap, not yet submitted, or past its provider's work)
 * @param queuedAt        when it first waited for a free slot at a full provider (null: it never waited)
 * @param countedForKey   it counts against its key's predictions in flight (the key had a limit when it was made)
 * @param quality         the sound check of each output, as JSON objects ({@code data.quality}); empty when not checked
 * @param retryAt         after a copy or media step failed: not before this is it tried again, by any loop (its due
 *                        time may be moved by a hand-over; this is not); null when none failed
 */
public record Prediction(
        String id,
        String keyId,
        String keyHash,
        PredictionRequest request,
        String webhook,
        String ingestKey,
        Phase phase,
        long version,
        Instant createdAt,
        Instant updatedAt,
        Instant dueAt,
        Lease lease,
        Jobs jobs,
        int checks,
        int notFoundChecks,
        Instant upstreamAt,
        List<String> upstreamOutputs,
        int copyAttempts,
        List<String> outputKeys,
        List<Boolean> nsfw,
        long inferenceMs,
        String error,
        Instant completedAt,
        long chargeMicroUsd,
        long reservedMicroUsd,
        Notifications notifications,
        List<String> attempts,
        Windows windows,
        String slot,
        Instant queuedAt,
        boolean countedForKey,
        Instant retryAt,
        List<String> quality) {

    /** Separates a parent's id from its window's index in a window's id ({@code <parent>_<n>}, URL-safe: callbacks name it in a path); never in a prediction id. */
    public static final char WINDOW_MARK = '_';

    public Prediction {
        jobs = jobs == null ? Jobs.NONE : jobs;
        upstreamOutputs = upstreamOutputs == null ? List.of() : List.copyOf(upstreamOutputs);
        outputKeys = outputKeys == null ? List.of() : List.copyOf(outputKeys);
        nsfw = nsfw == null ? List.of() : List.copyOf(nsfw);
        error = error == null ? "" : error;
        notifications = notifications == null ? Notifications.NONE : notifications;
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
        quality = quality == null ? List.of() : List.copyOf(quality);
    }

    /** A new prediction, just accepted, due now. */
    public static Prediction accepted(String id, String keyId, PredictionRequest request, String webhook, Instant now) {
        return builder(id, keyId, request, now).webhook(webhook).dueAt(now).build();
    }

    /** The same, made by an upload to {@code inputs/…} of the uploads bucket. */
    public Prediction withIngestKey(String objectKey) {
        return toBuilder().ingestKey(objectKey).build();
    }

    /** The same, made with the key whose SHA-256 is {@code hash}. */
    public Prediction withKeyHash(String hash) {
        return toBuilder().keyHash(hash).build();
    }

    /** The same, with a prepaid reservation taken from its key ({@link #keyHash()}). */
    public Prediction withReservation(long microUsd) {
        return toBuilder().reservedMicroUsd(microUsd).build();
    }

    /**
     * The same, its first submit already claimed by {@code owner} until {@code until}: stored like
     * this, the prediction is its own claim (no second write) and nobody else submits it before then.
     */
    public Prediction claimedForSubmit(String owner, Instant until) {
        return toBuilder().lease(new Lease(owner, until)).dueAt(until)
                .jobs(new Jobs(jobs.winner(), jobs.started(), jobs.stopped(), jobs.unconfirmed() + 1)).build();
    }

    public Kind kind() {
        return request.kind();
    }

    /** Whether this is one window of a long prediction (an internal child item, never shown to a client). */
    public boolean isWindow() {
        return id.indexOf(WINDOW_MARK) >= 0;
    }

    /** A window's parent id (its own id for a prediction). */
    public String parentId() {
        int at = id.indexOf(WINDOW_MARK);
        return at < 0 ? id : id.substring(0, at);
    }

    /** Whether this prediction makes several takes (each a child item, as a long video's windows), returned best first. */
    public boolean hasTakes() {
        return !isWindow() && kind() != Kind.LONG && request.media().samples() > 1;
    }

    /**
     * How many takes each of its children's stretches gets: a long video's takes per window (its
     * children are window 0's takes, then window 1's, …); 1 for anything else.
     */
    public int takesPerWindow() {
        return !isWindow() && kind() == Kind.LONG ? request.media().samples() : 1;
    }

    /** Whether its provider work is done by child items (a long video's windows, or takes) rather than one job. */
    public boolean hasChildren() {
        return kind() == Kind.LONG || hasTakes();
    }

    /** Whether the media function has work on this prediction's output (long model, original sound, format). */
    public boolean needsMedia() {
        // A model whose sound is as long as the video is charged by the seconds it made: measured there.
        return !isWindow() && (request.media().needsMedia(kind()) || kind() != Kind.LONG && request.spec().lengthFollowsVideo());
    }

    /** The job this prediction tracks, or null before one is known. */
    public ProviderJob job() {
        return jobs.winner();
    }

    public WebhookState webhookState() {
        return notifications.webhookState();
    }

    public int webhookAttempts() {
        return notifications.webhookAttempts();
    }

    /** Whether a failed copy or media step may be tried again at {@code now} (true when none failed). */
    public boolean retryDueBy(Instant now) {
        return retryAt == null || !retryAt.isAfter(now);
    }

    /** Someone other than a reader of this state holds a step that has not expired at {@code now}. */
    public boolean leasedAt(Instant now) {
        return lease != null && lease.liveAt(now);
    }

    public static Builder builder(String id, String keyId, PredictionRequest request, Instant createdAt) {
        Builder b = new Builder();
        b.id = id;
        b.keyId = keyId;
        b.request = request;
        b.createdAt = createdAt;
        b.updatedAt = createdAt;
        return b;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.keyId = keyId;
        b.keyHash = keyHash;
        b.request = request;
        b.webhook = webhook;
        b.ingestKey = ingestKey;
        b.phase = phase;
        b.version = version;
        b.createdAt = createdAt;
        b.updatedAt = updatedAt;
        b.dueAt = dueAt;
        b.lease = lease;
        b.jobs = jobs;
        b.checks = checks;
        b.notFoundChecks = notFoundChecks;
        b.upstreamAt = upstreamAt;
        b.upstreamOutputs = upstreamOutputs;
        b.copyAttempts = copyAttempts;
        b.outputKeys = outputKeys;
        b.nsfw = nsfw;
        b.inferenceMs = inferenceMs;
        b.error = error;
        b.completedAt = completedAt;
        b.chargeMicroUsd = chargeMicroUsd;
        b.reservedMicroUsd = reservedMicroUsd;
        b.notifications = notifications;
        b.attempts = attempts;
        b.windows = windows;
        b.slot = slot;
        b.queuedAt = queuedAt;
        b.countedForKey = countedForKey;
        b.retryAt = retryAt;
        b.quality = quality;
        return b;
    }

    /** Builds a prediction field by field (the store's mapper, tests). */
    public static final class Builder {
        private String id;
        private String keyId;
        private String keyHash;
        private PredictionRequest request;
        private String webhook;
        private String ingestKey;
        private Phase phase = Phase.ACCEPTED;
        private long version = 1;
        private Instant createdAt;
        private Instant updatedAt;
        private Instant dueAt;
        private Lease lease;
        private Jobs jobs = Jobs.NONE;
        private int checks;
        private int notFoundChecks;
        private Instant upstreamAt;
        private List<String> upstreamOutputs = List.of();
        private int copyAttempts;
        private List<String> outputKeys = List.of();
        private List<Boolean> nsfw = List.of();
        private long inferenceMs;
        private String error = "";
        private Instant completedAt;
        private long chargeMicroUsd;
        private long reservedMicroUsd;
        private Notifications notifications = Notifications.NONE;
        private List<String> attempts = List.of();
        private Windows windows;
        private String slot;
        private Instant queuedAt;
        private boolean countedForKey;
        private Instant retryAt;
        private List<String> quality = List.of();

        private Builder() {
        }

        public Builder keyHash(String v) { keyHash = v; return this; }
        public Builder webhook(String v) { webhook = v; return this; }
        public Builder ingestKey(String v) { ingestKey = v; return this; }
        public Builder phase(Phase v) { phase = v; return this; }
        public Builder version(long v) { version = v; return this; }
        public Builder updatedAt(Instant v) { updatedAt = v; return this; }
        public Builder dueAt(Instant v) { dueAt = v; return this; }
        public Builder lease(Lease v) { lease = v; return this; }
        public Builder jobs(Jobs v) { jobs = v; return this; }
        public Builder checks(int v) { checks = v; return this; }
        public Builder notFoundChecks(int v) { notFoundChecks = v; return this; }
        public Builder upstreamAt(Instant v) { upstreamAt = v; return this; }
        public Builder upstreamOutputs(List<String> v) { upstreamOutputs = v; return this; }
        public Builder copyAttempts(int v) { copyAttempts = v; return this; }
        public Builder outputKeys(List<String> v) { outputKeys = v; return this; }
        public Builder nsfw(List<Boolean> v) { nsfw = v; return this; }
        public Builder inferenceMs(long v) { inferenceMs = v; return this; }
        public Builder error(String v) { error = v; return this; }
        public Builder completedAt(Instant v) { completedAt = v; return this; }
        public Builder chargeMicroUsd(long v) { chargeMicroUsd = v; return this; }
        public Builder reservedMicroUsd(long v) { reservedMicroUsd = v; return this; }
        public Builder notifications(Notifications v) { notifications = v; return this; }
        public Builder attempts(List<String> v) { attempts = v; return this; }
        public Builder windows(Windows v) { windows = v; return this; }
        public Builder slot(String v) { slot = v; return this; }
        public Builder queuedAt(Instant v) { queuedAt = v; return this; }
        public Builder countedForKey(boolean v) { countedForKey = v; return this; }
        public Builder retryAt(Instant v) { retryAt = v; return this; }
        public Builder quality(List<String> v) { quality = v; return this; }

        public Prediction build() {
            return new Prediction(id, keyId, keyHash, request, webhook, ingestKey, phase, version, createdAt, updatedAt, dueAt,
                    lease, jobs, checks, notFoundChecks, upstreamAt, upstreamOutputs, copyAttempts, outputKeys, nsfw,
                    inferenceMs, error, completedAt, chargeMicroUsd, reservedMicroUsd, notifications, attempts, windows,
                    slot, queuedAt, countedForKey, retryAt, quality);
        }
    }
}
