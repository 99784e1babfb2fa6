package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.foley.api.FoleyApi;
import dev.foley.store.FoleyTable;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;

/** template.yaml is the single definition of the table and the routes: check both against the code. */
@ExtendWith(Moto.class)
class TemplateTest {

    static JsonNode template() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(Moto.template().toFile());
    }

    @Test
    void everyApiRouteIsWiredInTheTemplateAndNothingElse() throws Exception {
        Set<String> wired = new TreeSet<>();
        boolean catchAll = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = template().at("/Resources/ApiFunction/Properties/Events").fields(); it.hasNext(); ) {
            JsonNode p = it.next().getValue().get("Properties");
            if (p.get("Path").asText().equals("$default")) {
                catchAll = true;
            } else {
                wired.add(p.get("Method").asText() + " " + p.get("Path").asText());
            }
        }
        Set<String> served = new TreeSet<>();
        FoleyApi.ROUTES.forEach(r -> served.add(r.method() + " " + r.pattern()));
        assertEquals(served, wired);
        assertTrue(catchAll, "unknown routes must reach the API for its own 404/405 envelope");
    }

    @Test
    void localTableIsBuiltFromTheTemplateWithItsIndexesAndTtl() throws Exception {
        var s = Moto.settings(Moto.tableName("tmpl"), Map.of());
        try (var dynamo = Moto.freshTable(s)) {
            var t = dynamo.describeTable(r -> r.tableName(s.table())).table();
            Set<String> indexes = new TreeSet<>();
            t.globalSecondaryIndexes().forEach(g -> {
                indexes.add(g.indexName());
                assertEquals(IndexStatus.ACTIVE, g.indexStatus());
            });
            assertEquals(Set.of(FoleyTable.DUE_INDEX, FoleyTable.BY_KEY_INDEX), indexes);
            var ttl = dynamo.describeTimeToLive(r -> r.tableName(s.table())).timeToLiveDescription();
            assertEquals(FoleyTable.EXPIRES_AT, ttl.attributeName());
            assertEquals(TimeToLiveStatus.ENABLED, ttl.timeToLiveStatus());
        }
    }
}
