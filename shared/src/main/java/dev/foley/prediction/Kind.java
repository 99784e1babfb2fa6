package dev.foley.prediction;

/** What a prediction makes: a soundtrack for a video, or audio from text alone. */
public enum Kind {
    VIDEO("video", "wavespeed-ai/mmaudio-v2"),
    TEXT("text", "wavespeed-ai/mmaudio-v2/text-to-audio"),
    /** A video of any length (up to 10 minutes), cut into windows that each go to the model (Foley's own model path). */
    LONG("long", "foley/mmaudio-v2-long");

    private final String code;
    private final String model;

    Kind(String code, String model) {
        this.code = code;
        this.model = model;
    }

    /** The value stored in the table. */
    public String code() {
        return code;
    }

    /** The model id shown in the API's {@code data.model}, as the hosted API names it. */
    public String model() {
        return model;
    }

    /** The model's entry in the registry (the long path runs its video model, window by window). */
    public dev.foley.model.Model spec() {
        return this == TEXT ? dev.foley.model.Models.MMAUDIO_V2_TEXT : dev.foley.model.Models.MMAUDIO_V2;
    }

    /** Whether the prediction has a video (and so a picture to put the sound on). */
    public boolean hasVideo() {
        return this != TEXT;
    }

    public static Kind fromCode(String code) {
        for (Kind k : values()) {
            if (k.code.equals(code)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown kind " + code);
    }
}
