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
 * DynamoDB and S3 through their SDK clients (on the small URL-connection HTTP client, no netty;
 * S3's presigner beside it); Lambda's async invoke and SSM's parameter read, two small calls,
 * through {@link SignedHttp}, the SDK's signer without their SDK modules.
 */
public final class AwsClients {

    private final Settings settings;
    private final AwsCredentialsProvider credentials;
    private final Lazy<SignedHttp> signed;
    private final Lazy<S3> s3;

    public AwsClients(Settings settings, AwsCredentialsProvider credentials) {
        this(settings, credentials, java.time.Clock.systemUTC(), dev.foley.time.Sleeper.of(java.time.Clock.systemUTC()));
    }

    /** The same, the signed calls' retries waiting through {@code sleeper}. */
    public AwsClients(Settings settings, AwsCredentialsProvider credentials, java.time.Clock clock, dev.foley.time.Sleeper sleeper) {
        this.settings = settings;
        this.credentials = credentials;
        this.signed = Lazy.of(() -> new SignedHttp(credentials, settings.region(), Duration.ofSeconds(2), Duration.ofSeconds(30), clock,
                sleeper));
        this.s3 = Lazy.of(() -> new S3(Lazy.of(this::buildS3Client), Lazy.of(this::buildPresigner)));
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

    /** S3: virtual-hosted on AWS, path-style against a configured endpoint (moto, LocalStack); one client per process. */
    public S3 s3() {
        return s3.get();
    }

    private software.amazon.awssdk.services.s3.S3Configuration s3Config() {
        return software.amazon.awssdk.services.s3.S3Configuration.builder()
                .pathStyleAccessEnabled(settings.endpointFor(settings.s3Endpoint()).isPresent()).build();
    }

    private software.amazon.awssdk.services.s3.S3Client buildS3Client() {
        Optional<URI> endpoint = settings.endpointFor(settings.s3Endpoint());
        var client = software.amazon.awssdk.services.s3.S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2)).socketTimeout(Duration.ofSeconds(30))
                        .build())
                .region(Region.of(settings.region())).credentialsProvider(credentials).serviceConfiguration(s3Config())
                .crossRegionAccessEnabled(endpoint.isEmpty());
        endpoint.ifPresent(client::endpointOverride);
        return client.build();
    }

    private software.amazon.awssdk.services.s3.presigner.S3Presigner buildPresigner() {
        var presigner = software.amazon.awssdk.services.s3.presigner.S3Presigner.builder().region(Region.of(settings.region()))
                .credentialsProvider(credentials).serviceConfiguration(s3Config());
        settings.endpointFor(settings.s3Endpoint()).ifPresent(presigner::endpointOverride);
        return presigner.build();
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
