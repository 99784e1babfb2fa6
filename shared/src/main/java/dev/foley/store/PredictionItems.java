package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foley.json.Json;
import dev.foley.prediction.Jobs;
import dev.foley.prediction.Kind;
import dev.foley.prediction.Lease;
import dev.foley.prediction.Notifications;
import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import dev.foley.prediction.PredictionRequest;
import dev.foley.prediction.ProviderJob;
import dev.foley.prediction.WebhookState;
import dev.foley.prediction.Windows;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A prediction as a table item and back, in one place: the attribute names and their encodings
 * ({@link FoleyTable}), where an item lives ({@code P#<id>} / {@code P}, a child beside its
 * parent), nothing else. The store's moves write single attributes; whole items are made here.
 */
final class PredictionItems {

    private PredictionItems() {
    }

    // Attribute names of a prediction item (the keys, due and by_key attributes are in FoleyTable).
    static final String ID = "id";
    static final String KEY_HASH = "key_hash";
    static final String KIND = "kind";
    /** The model's id, for every model but MMAudio v2 (whose predictions predate the attribute). */
    static final String MODEL = "model";
    static final String INPUT = "input";
    static final String WEBHOOK = "webhook";
    static final String INGEST_KEY = "ingest_key";
    static final String PHASE = "phase";
    static final String VERSION = "version";
    static final String UPDATED_AT = "updated_at";
    static final String LEASE_OWNER = "lease_owner";
    static final String LEASE_UNTIL = "lease_until";
    static final String PROVIDER = "provider";
    static final String PROVIDER_JOB = "provider_job";
    static final String JOBS = "jobs";
    static final String JOBS_STOPPED = "jobs_stopped";
    static final String UNCONFIRMED = "unconfirmed";
    /** Rounds of cancels that failed, and when the next round is due (the cancels' own backoff). */
    static final String STOP_ATTEMPTS = "stop_attempts";
    static final String STOP_DUE_AT = "stop_due_at";
    static final String CHECKS = "checks";
    static final String NOT_FOUND_CHECKS = "not_found_checks";
    static final String UPSTREAM_AT = "upstream_at";
    static final String UPSTREAM_OUTPUTS = "upstream_outputs";
    static final String COPY_ATTEMPTS = "copy_attempts";
    /** When a failed copy or media step may be tried again (kept apart from due_at, which a hand-over moves). */
    static final String RETRY_AT = "retry_at";
    /** The sound check of each output (JSON objects, in outputs order). */
    static final String QUALITY = "quality";
    static final String OUTPUT_KEYS = "output_keys";
    static final String NSFW = "nsfw";
    static final String INFERENCE_MS = "inference_ms";
    static final String ERROR = "error";
    static final String COMPLETED_AT = "completed_at";
    static final String CHARGE = "charge_micro_usd";
    static final String RESERVED = "reserved_micro_usd";
    static final String WEBHOOK_STATE = "webhook_state";
    static final String WEBHOOK_ATTEMPTS = "webhook_attempts";
    static final String WEBHOOK_DUE_AT = "webhook_due_at";
    static final String RESULT_FILE_PENDING = "result_file_pending";
    static final String ATTEMPTS = "attempts";
    static final String MEDIA_MS = "media_ms";
    static final String WINDOWS_TOTAL = "windows_total";
    /** The shot cuts found in a long prediction's video (ms, ascending). */
    static final String SCENE_CUTS = "scene_cuts";
    static final String WINDOWS_DONE = "windows_done";
    static final String WINDOW_CAP = "window_cap";
    /** The layout the windows were cut by ({@link Windows#RULE}); absent on plans stored before there was a second. */
    static final String WINDOWS_RULE = "windows_rule";
    /** Set when the key's owner removed the prediction from their history (kept for its effects and its bill). */
    static final String DELETED_AT = "deleted_at";
    static final String NOT_DELETED = "attribute_not_exists(" + DELETED_AT + ")";
    /** The provider whose in-flight slot the prediction holds, and when it first waited for one. */
    static final String SLOT = "slot";
    static final String QUEUED_AT = "queued_at";
    /** A provider's slots: {@code SLOTS#<provider>} / {@code SLOTS}, how many are held, and until when waiters are ahead. */
    static final String SLOTS_PREFIX = "SLOTS#";
    static final String SLOTS_SK = "SLOTS";
    static final String IN_FLIGHT = "in_flight";
    static final String KEY_COUNTED = "key_counted";
    static final String KEY_FLIGHT_PREFIX = "F#";
    static final String KEY_FLIGHT_SK = "F";
    static final String WAITING_UNTIL = "waiting_until";
    /** A long prediction's windows are items beside it: {@code P#<id>} / {@code S#<nnn>[.<attempt>]}. */
    static final String WINDOW_SK_PREFIX = "S#";

    /** Every field of {@code p} as an item (so any state can be stored: new predictions, and tests' fixtures). */
    static Map<String, AttributeValue> toItem(Prediction p, Duration retention, String shard) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.putAll(address(p.id()));
        item.put(ID, s(p.id()));
        if (!p.isWindow()) {
            item.put(KEY_ID, s(p.keyId())); // windows stay out of the key's listing (the by_key index)
        }
        item.put(KIND, s(p.kind().code()));
        item.put(INPUT, s(Json.write(p.request().toJson())));
        if (!p.request().model().equals(p.kind() == Kind.TEXT ? dev.foley.model.Models.MMAUDIO_V2_TEXT.id() : dev.foley.model.Models.MMAUDIO_V2.id())) {
            item.put(MODEL, s(p.request().model()));
        }
        putIf(item, WEBHOOK, p.webhook());
        putIf(item, KEY_HASH, p.keyHash());
        putIf(item, INGEST_KEY, p.ingestKey());
        item.put(PHASE, s(p.phase().code()));
        item.put(VERSION, n(p.version()));
        item.put(CREATED_AT, n(p.createdAt().toEpochMilli()));
        item.put(UPDATED_AT, n(p.updatedAt().toEpochMilli()));
        item.put(EXPIRES_AT, n(p.createdAt().plus(retention).getEpochSecond()));
        if (p.dueAt() != null) {
            item.put(DUE_SHARD, s(shard));
            item.put(DUE_AT, n(p.dueAt().toEpochMilli()));
        }
        if (p.lease() != null) {
            item.put(LEASE_OWNER, s(p.lease().owner()));
            item.put(LEASE_UNTIL, n(p.lease().until().toEpochMilli()));
        }
        Jobs jobs = p.jobs();
        if (jobs.winner() != null) {
            item.put(PROVIDER, s(jobs.winner().provider()));
            item.put(PROVIDER_JOB, s(jobs.winner().toJson()));
        }
        Set<String> started = new LinkedHashSet<>();
        jobs.started().forEach(j -> started.add(j.toJson()));
        if (jobs.winner() != null) {
            started.add(jobs.winner().toJson());
        }
        if (!started.isEmpty()) {
            item.put(JOBS, AttributeValue.fromSs(List.copyOf(started)));
        }
        if (!jobs.stopped().isEmpty()) {
            item.put(JOBS_STOPPED, AttributeValue.fromSs(List.copyOf(jobs.stopped())));
        }
        putIf(item, UNCONFIRMED, jobs.unconfirmed());
        putIf(item, STOP_ATTEMPTS, jobs.stopAttempts());
        if (jobs.stopDueAt() != null) {
            item.put(STOP_DUE_AT, n(jobs.stopDueAt().toEpochMilli()));
        }
        putIf(item, CHECKS, p.checks());
        putIf(item, NOT_FOUND_CHECKS, p.notFoundChecks());
        if (p.upstreamAt() != null) {
            item.put(UPSTREAM_AT, n(p.upstreamAt().toEpochMilli()));
        }
        if (!p.upstreamOutputs().isEmpty()) {
            item.put(UPSTREAM_OUTPUTS, AttributeValue.fromL(p.upstreamOutputs().stream().map(Attr::s).toList()));
        }
        putIf(item, COPY_ATTEMPTS, p.copyAttempts());
        if (p.retryAt() != null) {
            item.put(RETRY_AT, n(p.retryAt().toEpochMilli()));
        }
        if (!p.quality().isEmpty()) {
            item.put(QUALITY, AttributeValue.fromL(p.quality().stream().map(Attr::s).toList()));
        }
        if (!p.outputKeys().isEmpty()) {
            item.put(OUTPUT_KEYS, AttributeValue.fromL(p.outputKeys().stream().map(Attr::s).toList()));
        }
        if (!p.nsfw().isEmpty()) {
            item.put(NSFW, AttributeValue.fromL(p.nsfw().stream().map(Attr::bool).toList()));
        }
        putIf(item, INFERENCE_MS, p.inferenceMs());
        putIf(item, ERROR, p.error().isEmpty() ? null : p.error());
        if (p.completedAt() != null) {
            item.put(COMPLETED_AT, n(p.completedAt().toEpochMilli()));
        }
        putIf(item, CHARGE, p.chargeMicroUsd());
        putIf(item, RESERVED, p.reservedMicroUsd());
        Notifications nt = p.notifications();
        putIf(item, WEBHOOK_STATE, nt.webhookState() == WebhookState.NONE ? null : nt.webhookState().code());
        putIf(item, WEBHOOK_ATTEMPTS, nt.webhookAttempts());
        if (nt.webhookDueAt() != null) {
            item.put(WEBHOOK_DUE_AT, n(nt.webhookDueAt().toEpochMilli()));
        }
        if (nt.resultFilePending()) {
            item.put(RESULT_FILE_PENDING, AttributeValue.fromBool(true));
        }
        if (!p.attempts().isEmpty()) {
            item.put(ATTEMPTS, AttributeValue.fromL(p.attempts().stream().map(Attr::s).toList()));
        }
        putIf(item, SLOT, p.slot());
        if (p.countedForKey()) {
            item.put(KEY_COUNTED, AttributeValue.fromBool(true));
        }
        if (p.queuedAt() != null) {
            item.put(QUEUED_AT, n(p.queuedAt().toEpochMilli()));
        }
        if (p.windows() != null) {
            item.putAll(windowsItem(p.windows()));
        }
        return item;
    }

    /** A long prediction's (or takes') plan as attributes: one mapping for the put and for the update that records the cut. */
    static Map<String, AttributeValue> windowsItem(Windows w) {
        Map<String, AttributeValue> out = new HashMap<>();
        out.put(MEDIA_MS, n(Math.round(w.seconds() * 1000)));
        out.put(WINDOWS_TOTAL, n(w.total()));
        out.put(WINDOWS_DONE, n(w.done()));
        out.put(WINDOW_CAP, n(w.concurrency()));
        out.put(SCENE_CUTS, AttributeValue.fromL(w.cuts().stream().map(c -> n(Math.round(c * 1000))).toList()));
        out.put(WINDOWS_RULE, n(w.rule()));
        return out;
    }

    private static Windows windowsOf(Map<String, AttributeValue> item) {
        if (!item.containsKey(WINDOWS_TOTAL)) {
            return null;
        }
        List<Double> cuts = item.containsKey(SCENE_CUTS) && item.get(SCENE_CUTS).hasL()
                ? item.get(SCENE_CUTS).l().stream().map(v -> Long.parseLong(v.n()) / 1000.0).toList() : List.of();
        return new Windows(num(item, MEDIA_MS, 0) / 1000.0, (int) num(item, WINDOWS_TOTAL, 0), (int) num(item, WINDOWS_DONE, 0),
                (int) num(item, WINDOW_CAP, 1), cuts, (int) num(item, WINDOWS_RULE, 1));
    }

    private static void putIf(Map<String, AttributeValue> item, String name, String v) {
        if (v != null) {
            item.put(name, s(v));
        }
    }

    private static void putIf(Map<String, AttributeValue> item, String name, long v) {
        if (v != 0) {
            item.put(name, n(v));
        }
    }

    static Prediction fromItem(Map<String, AttributeValue> item) {
        Kind kind = Kind.fromCode(str(item, KIND));
        JsonNode input = Json.parse(str(item, INPUT));
        List<Boolean> nsfw = new ArrayList<>();
        if (item.containsKey(NSFW) && item.get(NSFW).hasL()) {
            item.get(NSFW).l().forEach(v -> nsfw.add(Boolean.TRUE.equals(v.bool())));
        }
        Set<ProviderJob> started = new LinkedHashSet<>();
        if (item.containsKey(JOBS) && item.get(JOBS).hasSs()) {
            item.get(JOBS).ss().forEach(j -> started.add(ProviderJob.fromJson(j)));
        }
        Set<String> stopped = new LinkedHashSet<>();
        if (item.containsKey(JOBS_STOPPED) && item.get(JOBS_STOPPED).hasSs()) {
            stopped.addAll(item.get(JOBS_STOPPED).ss());
        }
        ProviderJob winner = item.containsKey(PROVIDER_JOB) ? ProviderJob.fromJson(str(item, PROVIDER_JOB)) : null;
        Lease lease = item.containsKey(LEASE_UNTIL)
                ? new Lease(String.valueOf(str(item, LEASE_OWNER)), instant(item, LEASE_UNTIL)) : null;
        return Prediction.builder(str(item, ID), str(item, KEY_ID), PredictionRequest.fromJson(kind, str(item, MODEL), input),
                        instant(item, CREATED_AT))
                .keyHash(str(item, KEY_HASH))
                .webhook(str(item, WEBHOOK))
                .ingestKey(str(item, INGEST_KEY))
                .phase(Phase.fromCode(str(item, PHASE)))
                .version(num(item, VERSION, 1))
                .updatedAt(instant(item, UPDATED_AT))
                .dueAt(instant(item, DUE_AT))
                .lease(lease)
                .jobs(new Jobs(winner, started, stopped, (int) num(item, UNCONFIRMED, 0), (int) num(item, STOP_ATTEMPTS, 0),
                        instant(item, STOP_DUE_AT)))
                .checks((int) num(item, CHECKS, 0))
                .notFoundChecks((int) num(item, NOT_FOUND_CHECKS, 0))
                .upstreamAt(instant(item, UPSTREAM_AT))
                .upstreamOutputs(strings(item, UPSTREAM_OUTPUTS))
                .copyAttempts((int) num(item, COPY_ATTEMPTS, 0))
                .retryAt(instant(item, RETRY_AT))
                .quality(strings(item, QUALITY))
                .outputKeys(strings(item, OUTPUT_KEYS))
                .nsfw(nsfw)
                .inferenceMs(num(item, INFERENCE_MS, 0))
                .error(str(item, ERROR))
                .completedAt(instant(item, COMPLETED_AT))
                .chargeMicroUsd(num(item, CHARGE, 0))
                .reservedMicroUsd(num(item, RESERVED, 0))
                .notifications(new Notifications(WebhookState.fromCode(str(item, WEBHOOK_STATE)),
                        (int) num(item, WEBHOOK_ATTEMPTS, 0), instant(item, WEBHOOK_DUE_AT), Attr.flag(item, RESULT_FILE_PENDING)))
                .attempts(strings(item, ATTEMPTS))
                .windows(windowsOf(item))
                .slot(str(item, SLOT))
                .queuedAt(instant(item, QUEUED_AT))
                .countedForKey(Attr.flag(item, KEY_COUNTED))
                .build();
    }

    private static Instant instant(Map<String, AttributeValue> item, String name) {
        return item.containsKey(name) ? Instant.ofEpochMilli(num(item, name, 0)) : null;
    }

    private static List<String> strings(Map<String, AttributeValue> item, String name) {
        List<String> out = new ArrayList<>();
        if (item.containsKey(name) && item.get(name).hasL()) {
            item.get(name).l().forEach(v -> out.add(v.s()));
        }
        return out;
    }

    /** Where prediction (or window) {@code id} is stored: {@code P#<id>} / {@code P}, a window beside its parent. */
    static Map<String, AttributeValue> address(String id) {
        int at = id.indexOf(Prediction.WINDOW_MARK);
        if (at < 0) {
            return key(PREDICTION_PREFIX + id, PREDICTION_SK);
        }
        String rest = id.substring(at + 1);
        int dot = rest.indexOf('.');
        String index = dot < 0 ? rest : rest.substring(0, dot);
        String padded = "0".repeat(Math.max(0, 3 - index.length())) + index + (dot < 0 ? "" : rest.substring(dot));
        return key(PREDICTION_PREFIX + id.substring(0, at), WINDOW_SK_PREFIX + padded);
    }

    static Map<String, AttributeValue> key(String pk, String sk) {
        return Map.of(PK, s(pk), SK, s(sk));
    }
}
