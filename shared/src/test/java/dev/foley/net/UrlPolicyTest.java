package dev.foley.net;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UrlPolicyTest {

    static final UrlPolicy STRICT = new UrlPolicy(true);
    static final UrlPolicy LAX = new UrlPolicy(false);

    @ParameterizedTest
    @ValueSource(strings = {
        "http://localhost/a", "http://LOCALHOST./a", "http://foo.localhost/a", "http://metadata.google.internal/x",
        "http://127.0.0.1/a", "http://127.1.2.3:8080/a", "http://10.0.0.5/a", "http://172.16.3.4/a", "http://192.168.1.1/a",
        "http://169.254.169.254/latest", "http://100.64.0.1/a", "http://0.0.0.0/a", "http://224.0.0.1/a",
        "http://[::1]/a", "http://[::]/a", "http://[fd00::1]/a", "http://[fe80::1]/a", "http://[::ffff:127.0.0.1]/a",
        "http://[::ffff:169.254.169.254]/a", "http://[64:ff9b::a9fe:a9fe]/a", "http://[2002:7f00:1::]/a",
        "http://[2001:0:4136:e378::1]/a", "http://2130706433/a", "http://0x7f.1/a", "http://127.1/a", "http://017700000001/a"})
    void strictRefusesNonPublicTargets(String url) {
        assertTrue(STRICT.check(url).isPresent(), url + " must be refused");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://cdn.example.com/a.mp4", "http://93.184.216.34/a.mp4", "https://[2606:4700::1111]/a",
        "https://example.com:8443/path?q=1#frag", "http://[2002:5db8:d822::]/a", "http://[64:ff9b::5db8:d822]/a"})
    void strictAcceptsPublicTargets(String url) {
        assertEquals(java.util.Optional.empty(), STRICT.check(url), url);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:4566/bucket/key", "http://localhost:9000/x"})
    void localModeAllowsLoopback(String url) {
        assertEquals(java.util.Optional.empty(), LAX.check(url));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/a", "javascript:alert(1)", "//example.com/a", "example.com/a.mp4",
        "https://user:pw@example.com/a", "http:///nohost", "https://exa mple.com/a"})
    void bothRefuseWhatIsNotAnHttpUrl(String url) {
        assertTrue(LAX.check(url).isPresent(), url);
        assertTrue(STRICT.check(url).isPresent(), url);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "2606:4700::1111", "1.1.1.1"})
    void publicAddresses(String ip) throws Exception {
        assertTrue(UrlPolicy.isPublic(InetAddress.getByName(ip)));
    }
}
