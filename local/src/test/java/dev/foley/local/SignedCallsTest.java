package dev.foley.local;

import static org.junit.jupiter.api.Assertions.*;

import dev.foley.aws.AwsClients;
import dev.foley.aws.LambdaCompletionTrigger;
import dev.foley.aws.S3;
import dev.foley.aws.SignedHttp;
import dev.foley.aws.SsmParameters;
import dev.foley.config.Settings;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The S3, Lambda and SSM calls Foley signs itself ({@code aws/SignedHttp}), against a moto that
 * checks every request's SigV4 signature and IAM permission (as AWS does): each call is accepted
 * with the right key, refused with a wrong one.
 */
class SignedCallsTest {

    static MotoServer moto;
    static AwsClients right;
    static AwsClients wrong;
    static Settings settings;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        var data = Moto.projectRoot().resolve(".foley");
        moto = MotoServer.start(MotoServer.findOrInstall(data, System.out), LocalAws.freePort(),
                Moto.projectRoot().resolve("local/target/moto-signed.log"), Map.of("INITIAL_NO_AUTH_ACTION_COUNT", "4"));
        settings = Settings.fromEnv(Map.of("AWS_ENDPOINT_URL", moto.endpoint().toString(), "AWS_REGION", "us-east-1"));
        // The four requests moto lets through unauthenticated: a user, its key, a policy, attached.
        SignedHttp anonymous = new AwsClients(settings, creds("nobody", "nothing")).signed();
        iam(anonymous, "Action=CreateUser&UserName=foley");
        String key = iam(anonymous, "Action=CreateAccessKey&UserName=foley");
        String accessKeyId = between(key, "<AccessKeyId>", "</AccessKeyId>");
        String secret = between(key, "<SecretAccessKey>", "</SecretAccessKey>");
        String policy = iam(anonymous, "Action=CreatePolicy&PolicyName=all&PolicyDocument=" + URLEncoder.encode(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
                StandardCharsets.UTF_8));
        iam(anonymous, "Action=AttachUserPolicy&UserName=foley&PolicyArn="
                + URLEncoder.encode(between(policy, "<Arn>", "</Arn>"), StandardCharsets.UTF_8));
        right = new AwsClients(settings, creds(accessKeyId, secret));
        wrong = new AwsClients(settings, creds(accessKeyId, "not-the-secret"));
    }

    @AfterAll
    static void stop() {
        moto.close();
    }

    static StaticCredentialsProvider creds(String id, String secret) {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret));
    }

    static String iam(SignedHttp http, String form) {
        var a = http.send("iam", "POST", moto.endpoint(), Map.of("Content-Type", "application/x-www-form-urlencoded"),
                (form + "&Version=2010-05-08").getBytes(StandardCharsets.UTF_8));
        assertTrue(a.ok(), a.text());
        return a.text();
    }

    static String between(String s, String a, String b) {
        int i = s.indexOf(a) + a.length();
        return s.substring(i, s.indexOf(b, i));
    }

    @Test
    void s3CallsAreAcceptedWithTheRightKeyAndRefusedWithAWrongOne() throws Exception {
        S3 s3 = right.s3();
        String bucket = "signed-" + Moto.tableName("b").toLowerCase();
        assertTrue(right.signed().send("s3", "PUT", URI.create(moto.endpoint() + "/" + bucket), Map.of(), null).ok());

        // moto's signature check computes the path and query of names with non-ASCII or reserved
        // characters (é, +, parentheses, a slash in a query value) differently from AWS: the SDK's own
        // S3 client is refused for those too. Spaces it agrees on; unicode keys and prefixes are
        // exercised, signatures unchecked, by IngestTest and UploadsTest.
        String key = "inputs/a clip 1.txt";
        s3.put(bucket, key, "hello".getBytes(StandardCharsets.UTF_8), "text/plain");
        assertEquals("hello", new String(s3.get(bucket, key).orElseThrow(), StandardCharsets.UTF_8));
        assertTrue(s3.head(bucket, key).isPresent());
        assertTrue(s3.head(bucket, "inputs/none").isEmpty());
        assertEquals(List.of(key), s3.list(bucket, "inputs", 10));
        s3.copy(bucket, key, bucket, "outputs/copy.txt");
        assertEquals("hello", new String(s3.get(bucket, "outputs/copy.txt").orElseThrow(), StandardCharsets.UTF_8));

        // A multipart upload, as completion streams outputs: parts of 5 MiB and more, then the rest.
        byte[] part = new byte[5 * 1024 * 1024 + 11];
        new java.util.Random(7).nextBytes(part);
        String id = s3.startMultipart(bucket, "outputs/big.bin", "application/octet-stream", Map.of("foley-copied", "1"));
        S3.Part p1 = s3.uploadPart(bucket, "outputs/big.bin", id, 1, part, part.length);
        S3.Part p2 = s3.uploadPart(bucket, "outputs/big.bin", id, 2, part, 100);
        s3.completeMultipart(bucket, "outputs/big.bin", id, List.of(p1, p2));
        S3.Head head = s3.head(bucket, "outputs/big.bin").orElseThrow();
        assertEquals(part.length + 100L, head.contentLength());
        assertEquals("1", head.metadata().get("foley-copied"));
        String other = s3.startMultipart(bucket, "outputs/abandoned.bin", "application/octet-stream", Map.of());
        s3.abortMultipart(bucket, "outputs/abandoned.bin", other);
        s3.delete(bucket, "outputs/copy.txt");
        assertTrue(s3.get(bucket, "outputs/copy.txt").isEmpty());

        var refused = assertThrows(S3.S3Exception.class, () -> wrong.s3().list(bucket, "inputs", 10));
        assertEquals(403, refused.status());
        assertEquals("SignatureDoesNotMatch", refused.code());
    }

    /**
     * On AWS (no endpoint configured) the links are virtual-hosted, in any region, as S3 wants them
     * there. (That a PUT link takes its upload and a GET link reads it back is UploadsTest's, on a
     * moto without auth: with auth on, moto answers a presigned request with a 500, whoever signs it.)
     */
    @Test
    void presignedLinksOnAwsAreVirtualHosted() throws Exception {
        for (String region : List.of("us-east-1", "eu-west-1", "ap-southeast-2")) {
            var settings = dev.foley.config.Settings.fromEnv(Map.of("AWS_REGION", region, "FOLEY_TABLE", "t"));
            S3 s3 = new dev.foley.aws.AwsClients(settings, right.credentials()).s3();
            String link = s3.presignGet("foley-outputs-123", "outputs/0123/0 é+(1) ü.mp4", Duration.ofDays(7));
            assertTrue(link.startsWith("https://foley-outputs-123.s3." + (region.equals("us-east-1") ? "" : region + ".") + "amazonaws.com/")
                    || link.startsWith("https://foley-outputs-123.s3." + region + ".amazonaws.com/"), link);
            assertTrue(link.contains("X-Amz-Expires=604800") && link.contains("X-Amz-Signature="), link);
        }
    }

    static String date(String url) {
        return between(url + "&", "X-Amz-Date=", "&");
    }

    /** The URL with its query parameters in a fixed order (the two put them in different orders). */
    static String sorted(String url) {
        int q = url.indexOf('?');
        return url.substring(0, q) + "?" + String.join("&", new java.util.TreeSet<>(List.of(url.substring(q + 1).split("&"))));
    }

    @Test
    void secretsComeFromSsmWithTheRightKeyOnly() {
        var put = right.signed().send("ssm", "POST", right.ssmEndpoint(),
                Map.of("X-Amz-Target", "AmazonSSM.PutParameter", "Content-Type", "application/x-amz-json-1.1"),
                "{\"Name\":\"/foley/signed/FAL_KEY\",\"Value\":\"fal-secret\",\"Type\":\"SecureString\"}".getBytes(StandardCharsets.UTF_8));
        assertTrue(put.ok(), put.text());
        assertEquals(Map.of("FAL_KEY", "fal-secret"), SsmParameters.under(right, "/foley/signed"));
        assertThrows(IllegalStateException.class, () -> SsmParameters.under(wrong, "/foley/signed"));
    }

    @Test
    void theCompletionFunctionIsInvokedAsynchronouslyWithTheRightKeyOnly() throws Exception {
        String role = between(iam(right.signed(), "Action=CreateRole&RoleName=completion&AssumeRolePolicyDocument=%7B%7D"),
                "<Arn>", "</Arn>");
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("h.py"));
            z.write("def handler(e, c):\n    return 1\n".getBytes(StandardCharsets.UTF_8));
        }
        var created = right.signed().send("lambda", "POST", URI.create(moto.endpoint() + "/2015-03-31/functions"),
                Map.of("Content-Type", "application/json"), ("{\"FunctionName\":\"foley-completion\",\"Runtime\":\"python3.11\","
                        + "\"Role\":\"" + role + "\",\"Handler\":\"h.handler\",\"Code\":{\"ZipFile\":\""
                        + Base64.getEncoder().encodeToString(zip.toByteArray()) + "\"}}").getBytes(StandardCharsets.UTF_8));
        assertTrue(created.ok(), created.text());
        assertEquals(202, new LambdaCompletionTrigger(right, "foley-completion").invoke("0123456789abcdef0123456789abcdef").status());
        assertEquals(403, new LambdaCompletionTrigger(wrong, "foley-completion").invoke("0123456789abcdef0123456789abcdef").status());
    }

}
