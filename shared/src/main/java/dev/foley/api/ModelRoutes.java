package dev.foley.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.json.Json;
import dev.foley.model.Model;
import dev.foley.model.Models;
import java.util.List;

/**
 * {@code GET /api/v3/models} (Foley addition): the models this deployment serves, each with its
 * path, its long-video path, its parameters (names, types, ranges, defaults), limits, output,
 * price and the providers configured that serve it, from the model registry ({@link Models}).
 */
public final class ModelRoutes {

    private final List<String> providers;
    private final long microUsdPerSecond;

    /**
     * @param providers         the configured providers, primary first
     * @param microUsdPerSecond the deployment's price per second ({@code FOLEY_PRICE_PER_SECOND_USD})
     */
    public ModelRoutes(List<String> providers, long microUsdPerSecond) {
        this.providers = List.copyOf(providers);
        this.microUsdPerSecond = microUsdPerSecond;
    }

    ApiResponse list() {
        ObjectNode d = Json.object();
        var items = d.putArray("models");
        for (Model m : Models.ALL) {
            List<String> servedBy = providers.stream().filter(m.providers()::containsKey).toList();
            if (servedBy.isEmpty()) {
                continue; // no configured provider serves it
            }
            ObjectNode n = m.json(servedBy);
            if ("second".equals(m.price().unit())) { // the deployment's own price per second
                n.with("price").put("usd", java.math.BigDecimal.valueOf(microUsdPerSecond, 6).stripTrailingZeros().toPlainString());
            }
            items.add(n);
        }
        return FoleyApi.ok(d);
    }
}
