package dev.foley.prediction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import java.util.Map;
import java.util.TreeMap;

/**
 * A job at a provider: its id and any URLs the provider gave for it (fal hands out status,
 * response and cancel URLs). Stored with the prediction; never shown to the client.
 */
public record ProviderJob(String provider, String id, Map<String, String> urls) {

    public ProviderJob {
        urls = urls == null ? Map.of() : Map.copyOf(urls);
    }

    public static ProviderJob of(String provider, String id) {
        return new ProviderJob(provider, id, Map.of());
    }

    public String url(String name) {
        return urls.get(name);
    }

    /** {@code provider/id}: what identifies the job, whatever URLs came with it. */
    public String key() {
        return provider + "/" + id;
    }

    public String toJson() {
        ObjectNode n = Json.object();
        n.put("provider", provider);
        n.put("id", id);
        ObjectNode u = n.putObject("urls");
        new TreeMap<>(urls).forEach(u::put);
        return Json.write(n);
    }

    public static ProviderJob fromJson(String json) {
        JsonNode n = Json.parse(json);
        Map<String, String> urls = new TreeMap<>();
        n.path("urls").fields().forEachRemaining(e -> urls.put(e.getKey(), e.getValue().asText()));
        return new ProviderJob(n.path("provider").asText(), n.path("id").asText(), urls);
    }
}
