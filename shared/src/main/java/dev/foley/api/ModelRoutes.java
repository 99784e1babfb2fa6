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

    private final dev.foley.model.Catalog catalog;
    private final dev.foley.prediction.Pricing pricing;

    /**
     * @param providers         the configured providers, primary first (every model they serve is served)
     * @param microUsdPerSecond the deployment's price per second of MMAudio v2 ({@code FOLEY_PRICE_PER_SECOND_USD})
     */
    public ModelRoutes(List<String> providers, long microUsdPerSecond) {
        this(dev.foley.model.Catalog.of(providers), microUsdPerSecond);
    }

    /** The models {@code catalog} serves, MMAudio v2 at {@code microUsdPerSecond}. */
    public ModelRoutes(dev.foley.model.Catalog catalog, long microUsdPerSecond) {
        this.catalog = catalog;
        this.pricing = new dev.foley.prediction.Pricing(microUsdPerSecond);
    }

    ApiResponse list() {
        ObjectNode d = Json.object();
        var items = d.putArray("models");
        for (Model m : catalog.served()) {
            ObjectNode n = m.json(catalog.providersFor(m));
            n.with("price").put("usd", java.math.BigDecimal.valueOf(pricing.unitPrice(m), 6).stripTrailingZeros().toPlainString());
            if ("video".equals(m.price().unit())) {
                n.with("price").put("long_path_unit", "window");
            }
            items.add(n);
        }
        return FoleyApi.ok(d);
    }

    /** A submit to {@code model} (null: MMAudio v2), refused with a 404 naming it when this deployment does not serve it. */
    void requireServed(String model, String path) throws ApiException {
        Model m = model == null ? Models.MMAUDIO_V2 : Models.byId(model).orElseThrow();
        if (model != null && !catalog.serves(m)) {
            throw new ApiException(404, "model " + path.substring("/api/v3/".length()) + " is not served by this deployment "
                    + "(its providers are " + String.join(", ", m.providers().keySet().stream().filter(x -> !x.equals("local")).sorted().toList())
                    + "; GET /api/v3/models lists what is served here)");
        }
    }
}
