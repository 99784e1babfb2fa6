package dev.foley.aws;

import dev.foley.config.Settings;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The one way Foley builds AWS clients, each with an explicit region, its credentials, and an
 * endpoint override when one is configured, so the same code talks to moto, LocalStack or AWS:
 * DynamoDB through its SDK client (on the small URL-connection HTTP client, no netty); S3, Lambda
 * and SSM through {@link SignedHttp}, the SDK's signer without their SDK modules.
 */
public final class AwsClients {

    private final Settings settings;
    private final AwsCredentialsProvider credentials;
    private final Lazy<SignedHttp> signed;

    public AwsClients(Settings settings, AwsCredentialsProvider credentials) {
        this.settings = settings;
        this.credentials = credentials;
        this.signed = Lazy.of(() -> new SignedHttp(credentials, settings.region(), Duration.ofSeconds(2), Duration.ofSeconds(30)));
    }

    /** Credentials from the default chain (the Lambda role on AWS). */
    public static AwsClients fromSettings(Settings settings) {
        return new AwsClients(settings, DefaultCredentialsProvider.builder().build());
    }

    public DynamoDbClient dynamo() {
        SdkHttpClient http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(2))
                .socketTimeout(Duration.ofSeconds(10))
                .build();
        var b = DynamoDbClient.builder().httpClient(http).region(Region.of(settings.region())).credentialsProvider(credentials);
        settings.endpointFor(settings.dynamoEndpoint()).ifPresent(b::endpointOverride);
        return b.build();
    }

    /** S3: virtual-hosted on AWS, path-style against a configured endpoint (moto, LocalStack). */
    public S3 s3() {
        return new S3(signed.get(), settings.endpointFor(settings.s3Endpoint()));
    }

    /** Where Lambda's API is: the configured endpoint, or the region's. */
    public URI lambdaEndpoint() {
        return settings.awsEndpoint().orElseGet(() -> URI.create("https://lambda." + settings.region() + "." + domain()));
    }

    /** Where SSM's API is: the configured endpoint, or the region's. */
    public URI ssmEndpoint() {
        return settings.awsEndpoint().orElseGet(() -> URI.create("https://ssm." + settings.region() + "." + domain()));
    }

    public SignedHttp signed() {
        return signed.get();
    }

    public Optional<URI> endpoint() {
        return settings.awsEndpoint();
    }

    public AwsCredentialsProvider credentials() {
        return credentials;
    }

    public Settings settings() {
        return settings;
    }

    private String domain() {
        return settings.region().startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    }
}
