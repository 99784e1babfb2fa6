package dev.foley.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A minimal multipart/form-data reader (RFC 7578) for the binary upload route: fields, file names, types. */
public final class Multipart {

    /** One part: its field name, file name and content type (if given), and its bytes. */
    public record Part(String name, String filename, String contentType, byte[] data) {
    }

    /** The body is not the multipart it claims to be; the message is for the client. */
    public static final class MalformedException extends Exception {
        public MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    private static final Pattern BOUNDARY = Pattern.compile("boundary=(\"([^\"]+)\"|([^;\\s]+))", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAME = Pattern.compile("[; ]name=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);
    private static final Pattern FILENAME = Pattern.compile("filename=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);

    /** RFC 2046's limit on a boundary's length. */
    static final int MAX_BOUNDARY = 70;

    private Multipart() {
    }

    public static List<Part> parse(String contentType, byte[] body) throws MalformedException {
        Matcher m = BOUNDARY.matcher(contentType);
        if (!m.find()) {
            throw new MalformedException("the multipart Content-Type has no boundary");
        }
        String boundary = m.group(2) != null ? m.group(2) : m.group(3);
        if (boundary.length() > MAX_BOUNDARY) {
            // RFC 2046: 1 to 70 characters. A longer one is refused before any search.
            throw new MalformedException("the multipart boundary must be at most " + MAX_BOUNDARY + " characters (RFC 2046), got "
                    + boundary.length());
        }
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        List<Part> parts = new ArrayList<>();
        int pos = indexOf(body, delimiter, 0);
        if (pos < 0) {
            throw new MalformedException("the body does not contain its multipart boundary");
        }
        while (true) {
            int afterDelim = pos + delimiter.length;
            if (afterDelim + 2 <= body.length && body[afterDelim] == '-' && body[afterDelim + 1] == '-') {
                return parts; // closing delimiter
            }
            int headersStart = skipCrlf(body, afterDelim);
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
            if (headersEnd < 0) {
                throw new MalformedException("a part has no end of headers");
            }
            String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8);
            int dataStart = headersEnd + 4;
            byte[] next = new byte[delimiter.length + 2];
            next[0] = '\r';
            next[1] = '\n';
            System.arraycopy(delimiter, 0, next, 2, delimiter.length);
            int dataEnd = indexOf(body, next, dataStart);
            if (dataEnd < 0) {
                throw new MalformedException("a part is not closed by the boundary (truncated upload?)");
            }
            String name = null;
            String filename = null;
            String type = null;
            for (String line : headers.split("\r\n")) {
                String lower = line.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-disposition:")) {
                    Matcher n = NAME.matcher(line);
                    name = n.find() ? n.group(1) : null;
                    Matcher f = FILENAME.matcher(line);
                    filename = f.find() ? f.group(1) : null;
                } else if (lower.startsWith("content-type:")) {
                    type = line.substring(line.indexOf(':') + 1).strip();
                }
            }
            parts.add(new Part(name, filename, type, Arrays.copyOfRange(body, dataStart, dataEnd)));
            pos = dataEnd + 2;
        }
    }

    private static int skipCrlf(byte[] b, int i) {
        return i + 1 < b.length && b[i] == '\r' && b[i + 1] == '\n' ? i + 2 : i;
    }

    /** The first index of {@code needle} in {@code hay} at or after {@code from}, or -1: Knuth–Morris–Pratt, linear in both. */
    static int indexOf(byte[] hay, byte[] needle, int from) {
        return indexOf(hay, needle, from, null);
    }

    /** The same, counting the steps it took in {@code steps[0]} (for the test of linear time; null: not counted). */
    static int indexOf(byte[] hay, byte[] needle, int from, long[] steps) {
        int m = needle.length;
        if (m == 0) {
            return Math.max(0, from);
        }
        int[] fail = new int[m]; // the longest proper border of needle[0..i]
        for (int i = 1, k = 0; i < m; i++) {
            while (k > 0 && needle[i] != needle[k]) {
                k = fail[k - 1];
                count(steps);
            }
            if (needle[i] == needle[k]) {
                k++;
            }
            fail[i] = k;
            count(steps);
        }
        for (int i = Math.max(0, from), k = 0; i < hay.length; i++) {
            while (k > 0 && hay[i] != needle[k]) {
                k = fail[k - 1];
                count(steps);
            }
            if (hay[i] == needle[k]) {
                k++;
            }
            count(steps);
            if (k == m) {
                return i - m + 1;
            }
        }
        return -1;
    }

    private static void count(long[] steps) {
        if (steps != null) {
            steps[0]++;
        }
    }
}
