package dev.foley.store;

import dev.foley.aws.SignedHttp;
import java.util.function.Supplier;

/** S3 calls as the stores make them: an S3 that cannot be reached is the store being unavailable (a 503, retried later). */
final class S3Calls {

    private S3Calls() {
    }

    static <T> T guarded(Supplier<T> call) {
        try {
            return call.get();
        } catch (SignedHttp.UnavailableException e) {
            throw new StoreUnavailableException("object storage unavailable: " + e.getMessage(), e);
        }
    }
}
