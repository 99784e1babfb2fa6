package dev.foley.api;

import java.util.Map;

/**
 * An HTTP request as the API sees it, free of any Lambda type: the API function builds it from
 * an API Gateway HTTP API event, local mode from the same event.
 *
 * @param headers    header names lower-cased (as API Gateway's HTTP API delivers them)
 * @param rawQuery   the query string without {@code ?}, still percent-encoded; may be empty
 * @param domainName the host the client called, used for absolute URLs when none is configured
 */
public record ApiRequest(
        String method,
        String path,
        Map<String, String> headers,
        String rawQuery,
        byte[] body,
        String domainName,
        String requestId) {

    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }
}
