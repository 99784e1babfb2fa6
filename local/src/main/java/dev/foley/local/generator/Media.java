package dev.foley.local.generator;

import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;

import org.bytedeco.javacv.FFmpegLogCallback;

/** FFmpeg set-up, once: errors only on the console. */
final class Media {

    private static volatile boolean ready;

    private Media() {
    }

    static void init() {
        if (!ready) {
            synchronized (Media.class) {
                if (!ready) {
                    av_log_set_level(AV_LOG_ERROR);
                    FFmpegLogCallback.setLevel(AV_LOG_ERROR);
                    ready = true;
                }
            }
        }
    }

    /** FFmpeg's messages name files and internals: keep the first line, short. */
    static String reason(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        if (nl > 0) {
            m = m.substring(0, nl);
        }
        m = m.replaceAll("(/[^\\s:]+)+", "<file>");
        return m.length() > 160 ? m.substring(0, 160) : m;
    }
}
