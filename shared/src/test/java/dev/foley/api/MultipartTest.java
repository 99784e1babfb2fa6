package dev.foley.api;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The binary upload's multipart reader: bounded boundaries, a search linear in the body. */
class MultipartTest {

    static byte[] body(String boundary, byte[] data) {
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n"
                + "Content-Type: video/mp4\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] t = tail.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[h.length + data.length + t.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(data, 0, out, h.length, data.length);
        System.arraycopy(t, 0, out, h.length + data.length, t.length);
        return out;
    }

    @Test
    void aBoundaryOverRfc2046sSeventyCharactersIsRefusedBeforeAnySearch() throws Exception {
        String b70 = "b".repeat(70);
        assertEquals(3, Multipart.parse("multipart/form-data; boundary=" + b70, body(b70, new byte[] {1, 2, 3})).get(0).data().length);
        String b71 = "b".repeat(71);
        var e = assertThrows(Multipart.MalformedException.class,
                () -> Multipart.parse("multipart/form-data; boundary=" + b71, body(b71, new byte[] {1})));
        assertEquals("the multipart boundary must be at most 70 characters (RFC 2046), got 71", e.getMessage());
        var huge = assertThrows(Multipart.MalformedException.class,
                () -> Multipart.parse("multipart/form-data; boundary=\"" + "x".repeat(20_000) + "\"", new byte[10]));
        assertTrue(huge.getMessage().contains("got 20000"));
    }

    /** A body of near-matches (each position matches all but the last byte): the worst case of a naive search, ~70 steps a byte. */
    @Test
    void theSearchIsLinearInTheBodyEvenOnNearMatches() {
        byte[] needle = ("a".repeat(69) + "b").getBytes(StandardCharsets.ISO_8859_1);
        for (int n : new int[] {10_000, 100_000, 1_000_000}) {
            byte[] hay = new byte[n];
            java.util.Arrays.fill(hay, (byte) 'a');
            long[] steps = {0};
            assertEquals(-1, Multipart.indexOf(hay, needle, 0, steps));
            assertTrue(steps[0] <= 2L * (n + needle.length), n + " bytes took " + steps[0] + " steps (a naive search: ~" + 70L * n + ")");
        }
    }

    @Property(tries = 300)
    void findsWhatANaiveSearchFinds(@ForAll @Size(max = 300) byte[] hay, @ForAll @Size(min = 1, max = 6) byte[] needle,
            @ForAll @IntRange(min = 0, max = 300) int from) {
        // Small alphabets make matches and near-matches common.
        for (int i = 0; i < hay.length; i++) {
            hay[i] = (byte) (hay[i] & 1);
        }
        for (int i = 0; i < needle.length; i++) {
            needle[i] = (byte) (needle[i] & 1);
        }
        assertEquals(naive(hay, needle, from), Multipart.indexOf(hay, needle, from));
    }

    static int naive(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void partsStillComeOutWhole() throws Exception {
        byte[] data = new byte[200_000];
        new Random(3).nextBytes(data);
        var parts = Multipart.parse("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
                body("----WebKitFormBoundary7MA4YWxkTrZu0gW", data));
        assertArrayEquals(data, parts.get(0).data());
        assertEquals("a.mp4", parts.get(0).filename());
    }
}
