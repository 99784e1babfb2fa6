package dev.foley.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;

/**
 * Creates the Foley table from its definition in {@code template.yaml} (the {@code Table}
 * resource), read at run time rather than copied, so local mode and AWS cannot drift.
 */
public final class TemplateTable {

    private final JsonNode properties;

    private TemplateTable(JsonNode properties) {
        this.properties = properties;
    }

    public static TemplateTable read(Path template) throws IOException {
        // CloudFormation tags (!Ref, !Sub ...) are read as their plain values; the table needs none.
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(template.toFile());
        JsonNode props = root.path("Resources").path("Table").path("Properties");
        if (props.isMissingNode()) {
            throw new IOException(template + " has no Resources.Table.Properties");
        }
        return new TemplateTable(props);
    }

    public CreateTableRequest createRequest(String tableName) {
        List<AttributeDefinition> attrs = new ArrayList<>();
        properties.path("AttributeDefinitions").forEach(a -> attrs.add(AttributeDefinition.builder()
                .attributeName(a.path("AttributeName").asText())
                .attributeType(a.path("AttributeType").asText()).build()));
        List<GlobalSecondaryIndex> gsis = new ArrayList<>();
        properties.path("GlobalSecondaryIndexes").forEach(g -> gsis.add(GlobalSecondaryIndex.builder()
                .indexName(g.path("IndexName").asText())
                .keySchema(keys(g.path("KeySchema")))
                .projection(Projection.builder().projectionType(g.path("Projection").path("ProjectionType").asText("ALL")).build())
                .build()));
        var b = CreateTableRequest.builder()
                .tableName(tableName)
                .attributeDefinitions(attrs)
                .keySchema(keys(properties.path("KeySchema")))
                .billingMode(BillingMode.fromValue(properties.path("BillingMode").asText("PAY_PER_REQUEST")));
        if (!gsis.isEmpty()) {
            b.globalSecondaryIndexes(gsis);
        }
        return b.build();
    }

    /** The TTL attribute, if the template enables one. */
    public String ttlAttribute() {
        JsonNode ttl = properties.path("TimeToLiveSpecification");
        return ttl.path("Enabled").asBoolean(false) ? ttl.path("AttributeName").asText(null) : null;
    }

    /** Creates the table (and its TTL) unless it exists; waits until it is active. */
    public void ensure(DynamoDbClient dynamo, String tableName) {
        try {
            dynamo.createTable(createRequest(tableName));
        } catch (ResourceInUseException exists) {
            return;
        }
        dynamo.waiter().waitUntilTableExists(r -> r.tableName(tableName));
        String ttl = ttlAttribute();
        if (ttl != null) {
            dynamo.updateTimeToLive(r -> r.tableName(tableName)
                    .timeToLiveSpecification(t -> t.attributeName(ttl).enabled(true)));
        }
    }

    private static List<KeySchemaElement> keys(JsonNode schema) {
        List<KeySchemaElement> out = new ArrayList<>();
        schema.forEach(k -> out.add(KeySchemaElement.builder()
                .attributeName(k.path("AttributeName").asText())
                .keyType(k.path("KeyType").asText()).build()));
        return out;
    }
}
