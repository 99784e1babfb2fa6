package dev.foley.provider;

import java.util.List;

/** Where a provider job is: still running, done with outputs, or failed with a reason. */
public sealed interface JobStatus {

    /** Queued or running; {@code queuePosition} is -1 when unknown. */
    record Running(int queuePosition) implements JobStatus {
    }

    /** Finished: output URLs (video with the new soundtrack, or audio), inference time, NSFW flags. */
    record Done(List<String> outputs, long inferenceMs, List<Boolean> nsfw) implements JobStatus {
        public Done {
            outputs = List.copyOf(outputs);
            nsfw = nsfw == null ? List.of() : List.copyOf(nsfw);
        }
    }

    /**
     * Ended without output. {@code reason} is written for the client (see {@link ProviderErrors});
     * {@code detail} is the provider's own words, for the attempt log only.
     */
    record Failed(String reason, String detail) implements JobStatus {
        public Failed(String reason) {
            this(reason, reason);
        }
    }
}
