package dev.foley.prediction;

import java.util.List;
import java.util.stream.Collectors;

/** A request that breaks the contract; every {@link FieldError} is meant for the client. */
public final class InvalidRequestException extends Exception {

    private final transient List<FieldError> errors;

    public InvalidRequestException(List<FieldError> errors) {
        super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")), null, false, false);
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
