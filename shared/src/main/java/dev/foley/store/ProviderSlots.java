package dev.foley.store;

import static dev.foley.store.Attr.n;
import static dev.foley.store.Attr.num;
import static dev.foley.store.Attr.s;
import static dev.foley.store.Attr.str;
import static dev.foley.store.FoleyTable.*;
import static dev.foley.store.PredictionItems.*;

import dev.foley.prediction.Phase;
import dev.foley.prediction.Prediction;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * A provider's slots ({@code FOLEY_PROVIDER_MAX_IN_FLIGHT}) as a prediction takes and gives them
 * back, and a key's predictions in flight: each count moves in one transaction with the prediction
 * it is for ({@link Capacity}'s items), so a crash cannot leak one.
 */
public final class ProviderSlots {

    private final StoreWrites w;

    ProviderSlots(StoreWrites w) {
        this.w = w;
    }


    /** What asking for a slot came to. */
    public sealed interface SlotOutcome {
        /** The slot is the prediction's (returned as now stored). */
        record Acquired(Prediction prediction) implements SlotOutcome {
        }

        /** Every slot is held, or waiters are ahead of a newcomer. */
        record Full() implements SlotOutcome {
        }

        /** The prediction moved meanwhile (a cancel, say): nothing was taken. */
        record Lost() implements SlotOutcome {
        }
    }

    /**
     * Takes one of {@code provider}'s {@code max} slots for the claimed {@code p}, in one
     * transaction with the prediction (so a slot is held exactly while a prediction says so, and a
     * crash cannot leak one). A prediction that never waited also needs no waiter to be ahead of it:
     * newcomers queue behind those already waiting.
     */
    public SlotOutcome acquireSlot(Prediction claimed, String provider, int max) {
        Update u = w.moveFrom(claimed, claimed.phase());
        u.set(SLOT, provider);
        TransactWriteItem slot = w.capacity.takeSlot(provider, max, claimed.queuedAt() == null);
        Optional<Prediction> held = w.writeWith(claimed, u, slot);
        if (held.isPresent()) {
            return new SlotOutcome.Acquired(held.get());
        }
        Optional<Prediction> now = w.read(claimed.id());
        return now.isPresent() && now.get().version() == claimed.version() ? new SlotOutcome.Full() : new SlotOutcome.Lost();
    }

    /**
     * The claimed {@code p} found its provider full: back to waiting ({@code created}), its claim
     * (and the submit it counted) given back, due again at {@code retryAt}. The first time, it is
     * stamped as waiting and says so in its log; newcomers stay behind it for a few seconds.
     */
    public Optional<Prediction> recordQueued(Prediction claimed, String provider, int max, Instant retryAt) {
        Instant now = w.clock.instant();
        Update u = w.moveFrom(claimed, Phase.ACCEPTED);
        u.add(UNCONFIRMED, n(-1)).remove(LEASE_OWNER).remove(LEASE_UNTIL);
        if (claimed.queuedAt() == null) {
            u.set(QUEUED_AT, now.toEpochMilli())
                    .append(ATTEMPTS, w.stamped(List.of("waiting: " + provider + " has " + max + " at work (FOLEY_PROVIDER_MAX_IN_FLIGHT)")));
        }
        w.due(u, claimed.id(), retryAt);
        Optional<Prediction> queued = w.write(claimed, u);
        w.capacity.waitersAhead(provider);
        return queued;
    }

    /** How many of a key's predictions count as in flight now (operators, tests). */
    public long keyInFlight(String keyId) {
        return w.capacity.keyInFlight(keyId);
    }

    /** How many of {@code provider}'s slots are held now (operators, tests). */
    public long slotsHeld(String provider) {
        return w.capacity.slotsHeld(provider);
    }
}
