package dev.foley.api;

import dev.foley.prediction.FieldError;
import java.util.List;
import java.util.Map;

/** A request the API refuses: its HTTP status, a message for the client and, for 400s, each field. */
public final class ApiException extends Exception {

    private final int status;
    private final transient List<FieldError> errors;
    private final transient Map<String, String> headers;

    public ApiException(int status, String message) {
        this(status, message, List.of(), Map.of());
    }

    public ApiException(int status, String message, List<FieldError> errors, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.errors = List.copyOf(errors);
        this.headers = Map.copyOf(headers);
    }

    public static ApiException invalid(List<FieldError> errors) {
        return new ApiException(400, String.join("; ", errors.stream().map(FieldError::toString).toList()),
                errors, Map.of());
    }

    public int status() {
        return status;
    }

    public List<FieldError> errors() {
        return errors;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
