package dev.foley.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.prediction.FieldError;
import java.util.List;

/**
 * The hosted API's response envelope, {@code {code, message, data}}. Errors carry the HTTP status
 * in {@code code}, {@code data: null}, and (an addition clients may ignore) {@code errors}, one
 * entry per offending field.
 */
public final class Envelope {

    private Envelope() {
    }

    public static String ok(JsonNode data) {
        ObjectNode n = Json.object();
        n.put("code", 200);
        n.put("message", "success");
        n.set("data", data);
        return Json.write(n);
    }

    public static String error(int code, String message, List<FieldError> errors) {
        return error(code, message, errors, null);
    }

    /** The same, naming the request ({@code request_id}: API Gateway's id, also in the log line of this answer). */
    public static String error(int code, String message, List<FieldError> errors, String requestId) {
        ObjectNode n = Json.object();
        n.put("code", code);
        n.put("message", message);
        n.putNull("data");
        if (!errors.isEmpty()) {
            ArrayNode list = n.putArray("errors");
            for (FieldError e : errors) {
                list.addObject().put("field", e.field()).put("message", e.reason());
            }
        }
        if (requestId != null) {
            n.put("request_id", requestId);
        }
        return Json.write(n);
    }
}
