package dev.foley.api;

import java.util.Map;

/** An HTTP response: status, headers and a text body. */
public record ApiResponse(int status, Map<String, String> headers, String body) {

    public static ApiResponse json(int status, String body) {
        return new ApiResponse(status, Map.of("content-type", "application/json"), body);
    }
}
