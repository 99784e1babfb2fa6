package dev.foley.pipeline;

import dev.foley.prediction.Prediction;
import dev.foley.time.Deadline;
import java.util.List;

/**
 * The work only the media function does (it alone carries FFmpeg): cutting a long video into the
 * windows sent to the provider, and making the result from the provider's sound (joining windows,
 * the clip's own sound, the format asked for). Files it makes live in our bucket under
 * {@code work/<id>/}; {@link dev.foley.prediction.Windows#plan} says where the windows are, so both
 * halves cut and join the same windows.
 */
public interface MediaWork {

    /** Media work that did not finish; {@code retryable}: trying again later can help. The message is for the client. */
    final class MediaException extends StepException {
        public MediaException(String message, boolean retryable) {
            super(message, retryable);
        }
    }

    /**
     * Fetches and probes {@code p}'s video, finds its shot cuts, keeps a copy, and writes each
     * window's small clip to {@link #windowClipKey}. Returns the seconds of video the sound will
     * cover and the cuts found (the windows follow them: {@link dev.foley.prediction.Windows#planFor}).
     */
    Cut cut(Prediction p, Deadline until) throws MediaException;

    /** What a cut found: the seconds the sound covers, and the shot cuts in them (seconds, ascending). */
    record Cut(double seconds, List<Double> cuts) {
    }

    /**
     * A result made: its keys in our bucket, each one's sound check (JSON objects; empty when not
     * checked), and the seconds of sound the model made (its first output; NaN: not measured).
     */
    record Finished(List<String> keys, List<String> quality, double seconds) {
        public Finished(List<String> keys, List<String> quality) {
            this(keys, quality, Double.NaN);
        }
    }

    /**
     * Makes {@code p}'s result from {@code sources} (the windows' outputs in our bucket, in order, or
     * the provider's output URLs of a short prediction), brings it to a loudness target if one was
     * asked for, checks it (unless {@code sound_check} is off) and writes it to our bucket.
     */
    Finished finish(Prediction p, List<String> sources, Deadline until) throws MediaException;

    /** Where window {@code index}'s clip of prediction {@code id} is kept. */
    static String windowClipKey(String id, int index) {
        return "work/" + id + "/in-" + index + ".mp4";
    }

    /** A reference to an object in our bucket, standing in a window's request for the URL the provider gets. */
    String WORK_REF = "foley-work:";
}
