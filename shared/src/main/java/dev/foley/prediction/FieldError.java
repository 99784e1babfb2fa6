package dev.foley.prediction;

/** One thing wrong with a request: the field (or {@code body}, a header, a query parameter) and why. */
public record FieldError(String field, String reason) {

    @Override
    public String toString() {
        return field + ": " + reason;
    }
}
