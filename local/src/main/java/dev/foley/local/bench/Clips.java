package dev.foley.local.bench;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Clips with known motion, made on the spot (tests and benchmarks): a white square on black that
 * bounces on the floor at exactly the given times (a parabola between impacts, as a ball does), as
 * H.264 in MP4, optionally with a steady tone as its own sound track (to tell whether a result kept
 * it).
 */
public final class Clips {

    private Clips() {
    }

    /**
     * How a clip is written: container, picture encoder and its pixel format and options, sound
     * encoder (used only with a tone) and its sample rate.
     */
    public record Codecs(String format, String video, int pixelFormat, java.util.Map<String, String> videoOptions, String audio,
            int sampleRate) {
        /** H.264 (OpenH264) and AAC in MP4: what a phone or an editor hands over. */
        public static final Codecs MP4 = new Codecs("mp4", "libopenh264", AV_PIX_FMT_YUV420P, java.util.Map.of(), "aac", 44_100);
    }

    /**
     * Writes {@code seconds} of video at {@code fps}, {@code width}x{@code height}, impacts at
     * {@code impacts} (ascending); with {@code toneHz} > 0, a sound track of that sine at
     * {@code toneLevel} (0..1).
     */
    public static Path bounce(Path out, int width, int height, double fps, double seconds, double[] impacts, double toneHz,
            double toneLevel) throws Exception {
        return bounce(out, Codecs.MP4, width, height, fps, seconds, impacts, toneHz, toneLevel);
    }

    /** The same, written with {@code codecs}. */
    public static Path bounce(Path out, Codecs codecs, int width, int height, double fps, double seconds, double[] impacts,
            double toneHz, double toneLevel) throws Exception {
        dev.foley.media.Ffmpeg.init();
        int frames = (int) Math.round(seconds * fps);
        int rate = codecs.sampleRate();
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(out.toFile(), width, height, toneHz > 0 ? 1 : 0)) {
            r.setFormat(codecs.format());
            r.setVideoCodecName(codecs.video());
            r.setPixelFormat(codecs.pixelFormat());
            codecs.videoOptions().forEach(r::setVideoOption);
            r.setFrameRate(fps);
            r.setGopSize((int) Math.round(fps * 2));
            r.setVideoBitrate(Math.max(400_000, width * height * 2));
            if (toneHz > 0) {
                r.setAudioCodecName(codecs.audio());
                // The encoder's own first sample format (PCM and FLAC take integers, not JavaCV's default float).
                var encoder = org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name(codecs.audio());
                if (encoder != null && encoder.sample_fmts() != null && !encoder.sample_fmts().isNull()) {
                    r.setSampleFormat(encoder.sample_fmts().get(0));
                }
                r.setSampleRate(rate);
                r.setAudioChannels(1);
                r.setAudioBitrate(128_000);
            }
            r.start();
            Frame f = new Frame(width, height, Frame.DEPTH_UBYTE, 1);
            ByteBuffer buf = (ByteBuffer) f.image[0];
            int stride = f.imageStride;
            int size = Math.max(4, height / 12);
            long sampleAt = 0;
            for (int i = 0; i < frames; i++) {
                double t = i / fps;
                double h = heightAt(t, impacts); // 0 on the floor, 1 at the top
                int y = (int) Math.round((height - size) * (1 - h));
                int x = (width - size) / 2;
                for (int row = 0; row < height; row++) {
                    for (int col = 0; col < width; col++) {
                        boolean on = row >= y && row < y + size && col >= x && col < x + size;
                        buf.put(row * stride + col, (byte) (on ? 235 : 16));
                    }
                }
                r.setFrameNumber(i);
                r.record(f, AV_PIX_FMT_GRAY8);
                if (toneHz > 0) {
                    long until = Math.round((i + 1) / fps * rate);
                    float[] s = new float[(int) (until - sampleAt)];
                    for (int k = 0; k < s.length; k++) {
                        s[k] = (float) (toneLevel * Math.sin(2 * Math.PI * toneHz * (sampleAt + k) / rate));
                    }
                    sampleAt = until;
                    r.recordSamples(rate, 1, FloatBuffer.wrap(s));
                }
            }
            r.stop();
        }
        return out;
    }

    /** How long the square rests on the floor at an impact (either side): its speed collapses there, whatever the frame phase. */
    static final double REST = 0.06;

    /** The square's height (0 floor, 1 top): falling from the top onto the first impact, a parabola between impacts. */
    static double heightAt(double t, double[] impacts) {
        if (impacts.length == 0) {
            return 1;
        }
        for (double i : impacts) {
            if (Math.abs(t - i) < REST) {
                return 0;
            }
        }
        if (t <= impacts[0]) {
            double d = impacts[0];
            return 1 - (t / d) * (t / d);
        }
        for (int k = 0; k + 1 < impacts.length; k++) {
            if (t <= impacts[k + 1]) {
                double a = impacts[k];
                double b = impacts[k + 1];
                return 4 * (t - a) * (b - t) / ((b - a) * (b - a));
            }
        }
        double last = impacts[impacts.length - 1];
        double gap = impacts.length > 1 ? impacts[impacts.length - 1] - impacts[impacts.length - 2] : 1;
        double u = t - last; // up once more, then resting at the top: no impact after the last
        return u >= gap / 2 ? 1 : 4 * u * (gap - u) / (gap * gap);
    }
}
