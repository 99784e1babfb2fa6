package dev.foley.provider;

import java.util.regex.Pattern;

/**
 * A provider's own error text, made fit for a client: what providers say when a job fails can carry
 * tracebacks, internal host names, private addresses and file paths. Clients get a short reason (a
 * category, the HTTP status when there is one, and a safe excerpt); the full text goes to the
 * prediction's attempt log and the function's log only.
 */
public final class ProviderErrors {

    public static final int MAX_EXCERPT = 160;

    private static final Pattern URL = Pattern.compile("(?i)\\b[a-z][a-z0-9+.-]*://\\S+");
    private static final Pattern IPV4 = Pattern.compile("\\b\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d{1,5})?\\b");
    private static final Pattern IPV6 = Pattern.compile(
            "(?i)\\[?\\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\\b\\]?|(?i)\\[?[0-9a-f]{0,4}::[0-9a-f:.]{0,40}\\]?");
    // A host name: lower-case labels with two dots or more (a class name like java.lang.Error has
    // capitals), a name with a port, an internal-looking suffix, or localhost.
    private static final Pattern HOST = Pattern.compile(
            "\\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.){2,}[a-z][a-z0-9-]{1,62}(?::\\d{1,5})?\\b"
                    + "|(?i)\\b[a-z][a-z0-9.-]*[a-z0-9]:\\d{2,5}\\b"
                    + "|(?i)\\b[a-z0-9][a-z0-9.-]*\\.(?:internal|local|localdomain|lan|corp|svc|intranet|home)\\b"
                    + "|(?i)\\blocalhost(?::\\d{1,5})?\\b");
    private static final Pattern UNIX_PATH = Pattern.compile("(?<![\\w.<])/(?:[\\w.@-]+/)+[\\w.@-]*");
    private static final Pattern WINDOWS_PATH = Pattern.compile("(?i)\\b[a-z]:\\\\[^\\s,;]+");
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}&&[^\\n]]");

    private ProviderErrors() {
    }

    /** The provider refused the input (a 4xx answer to the submit). */
    public static String rejected(int status, String raw) {
        String e = excerpt(raw);
        return "the inference provider rejected the input" + (status > 0 ? " (HTTP " + status + ")" : "")
                + (e.isEmpty() ? "" : ": " + e);
    }

    /** The provider's job ended without a result. */
    public static String jobFailed(String raw) {
        String e = excerpt(raw);
        return "the inference provider's job failed" + (e.isEmpty() ? "" : ": " + e);
    }

    /**
     * A safe excerpt of {@code raw}: the one informative line (after a traceback, its last line),
     * with URLs, addresses, host names and paths replaced, control characters removed, at most
     * {@link #MAX_EXCERPT} characters.
     */
    public static String excerpt(String raw) {
        if (raw == null || raw.isBlank()) {
            return "";
        }
        String line = informativeLine(CONTROL.matcher(raw).replaceAll(" "));
        line = URL.matcher(line).replaceAll("<url>");
        line = IPV4.matcher(line).replaceAll("<address>");
        line = IPV6.matcher(line).replaceAll("<address>");
        line = HOST.matcher(line).replaceAll("<host>");
        line = UNIX_PATH.matcher(line).replaceAll("<path>");
        line = WINDOWS_PATH.matcher(line).replaceAll("<path>");
        line = line.replaceAll("\\s+", " ").strip();
        if (line.length() > MAX_EXCERPT) {
            line = line.substring(0, MAX_EXCERPT - 3).strip() + "...";
        }
        return line;
    }

    /** A line that names an exception and its message ({@code RuntimeError: CUDA out of memory}). */
    private static final Pattern EXCEPTION_LINE = Pattern.compile(
            "^[A-Za-z_][\\w.]*(?:Error|Exception|Exit|Interrupt|Fault|Failure)\\s*:\\s*\\S.*");

    private static String informativeLine(String text) {
        String[] lines = text.split("\\R");
        // Frames, and the source lines Python echoes under each frame ("raise RuntimeError('OOM')"):
        // never the excerpt when a message is there.
        boolean[] frame = new boolean[lines.length];
        for (int k = 0; k < lines.length; k++) {
            String l = lines[k].strip();
            frame[k] = l.isEmpty() || isFrame(l) || l.startsWith("Traceback")
                    || (k > 0 && lines[k - 1].strip().startsWith("File \"") && !EXCEPTION_LINE.matcher(l).matches());
        }
        boolean python = text.contains("Traceback (most recent call last)");
        if (python) {
            // Python puts the exception and its message last, after the frames.
            for (int k = lines.length - 1; k >= 0; k--) {
                if (!frame[k] && EXCEPTION_LINE.matcher(lines[k].strip()).matches()) {
                    return lines[k].strip();
                }
            }
        }
        // Anything else (a Java stack trace too; a message printed before a cut-short traceback) puts it first.
        for (int k = 0; k < lines.length; k++) {
            if (!frame[k]) {
                return lines[k].strip();
            }
        }
        return "";
    }

    private static boolean isFrame(String l) {
        return l.startsWith("File \"") || (l.startsWith("at ") && l.contains("(")) || l.startsWith("...")
                || l.startsWith("^") || l.startsWith("~");
    }
}
