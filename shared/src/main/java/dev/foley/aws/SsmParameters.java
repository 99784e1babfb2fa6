package dev.foley.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the parameters under a path of SSM Parameter Store, decrypted: the one SSM call Foley makes
 * ({@code AmazonSSM.GetParametersByPath}, JSON 1.1 protocol, every page), signed by {@link SignedHttp}.
 */
public final class SsmParameters {

    private SsmParameters() {
    }

    /** Name (the part after the last slash) → value, for every parameter directly under {@code path}. */
    public static Map<String, String> under(AwsClients clients, String path) {
        Map<String, String> out = new LinkedHashMap<>();
        String next = null;
        do {
            ObjectNode req = Json.object().put("Path", path).put("WithDecryption", true).put("MaxResults", 10);
            if (next != null) {
                req.put("NextToken", next);
            }
            SignedHttp.Answer a = clients.signed().send("ssm", "POST", clients.ssmEndpoint(),
                    Map.of("X-Amz-Target", "AmazonSSM.GetParametersByPath", "Content-Type", "application/x-amz-json-1.1"),
                    Json.write(req).getBytes(StandardCharsets.UTF_8));
            if (!a.ok()) {
                throw new IllegalStateException("SSM answered " + a.status() + ": " + a.text());
            }
            JsonNode page = Json.parse(a.text());
            for (JsonNode p : page.path("Parameters")) {
                String name = p.path("Name").asText();
                out.put(name.substring(name.lastIndexOf('/') + 1), p.path("Value").asText());
            }
            next = page.hasNonNull("NextToken") ? page.get("NextToken").asText() : null;
        } while (next != null);
        return out;
    }
}
