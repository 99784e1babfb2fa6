package dev.foley.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.prediction.FieldError;
import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

/** A small JSON object body (an upload ticket, a history query): type, size, syntax and field names checked, each error named. */
final class JsonBody {

    private JsonBody() {
    }

    /**
     * The body as an object with no field outside {@code known}; {@code shape} describes it in
     * the errors ({@code {filename, size, content_type}}). An empty body is {@code {}} when
     * {@code emptyIsObject}. Unknown fields are added to {@code errors}, so they are reported with
     * the caller's own.
     */
    static ObjectNode object(ApiRequest req, int maxBytes, String shape, Set<String> known, boolean emptyIsObject,
            List<FieldError> errors) throws ApiException {
        SubmitRoute.requireJson(req);
        byte[] body = req.body() == null ? new byte[0] : req.body();
        if (body.length > maxBytes) {
            throw new ApiException(413, "body: this request is a small JSON object " + shape);
        }
        if (body.length == 0 && emptyIsObject) {
            return Json.object();
        }
        JsonNode n;
        try {
            n = Json.parse(body);
        } catch (Json.InvalidJsonException e) {
            throw ApiException.invalid(List.of(new FieldError("body", "is not valid JSON: " + e.getMessage())));
        }
        if (n == null || !n.isObject()) {
            throw ApiException.invalid(List.of(new FieldError("body", "must be a JSON object " + shape)));
        }
        n.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                errors.add(new FieldError(FoleyApi.shorten(f, 64), "unknown field"));
            }
        });
        return (ObjectNode) n;
    }

    /**
     * A whole number in {@code [min, max]}, range-checked as an exact decimal before any conversion
     * (2^64 + 100 must not wrap to 100); {@code 10.0} counts as an integer, as in JSON Schema.
     * Null (and an error added) when it is not one.
     */
    static Long integer(JsonNode v, String field, long min, long max, String unit, String what, List<FieldError> errors) {
        BigDecimal exact = v != null && v.isNumber() ? v.decimalValue() : null;
        boolean integral = exact != null && (exact.signum() == 0 || exact.stripTrailingZeros().scale() <= 0);
        if (!integral || exact.compareTo(BigDecimal.valueOf(min)) < 0) {
            errors.add(new FieldError(field, v == null || v.isMissingNode() ? what : what + ", got " + FoleyApi.shorten(String.valueOf(v), 40)));
            return null;
        }
        if (exact.compareTo(BigDecimal.valueOf(max)) > 0) {
            errors.add(new FieldError(field, "must be at most " + max + unit + ", got " + exact.toBigInteger()));
            return null;
        }
        return exact.longValueExact();
    }
}
