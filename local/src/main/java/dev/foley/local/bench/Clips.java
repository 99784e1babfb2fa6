package dev.foley.local.bench;

import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open;
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
        return bounce(out, codecs, width, height, fps, seconds, impacts, toneHz > 0 ? new double[] {toneHz} : new double[0], toneLevel);
    }

    /** The same with one tone a channel ({@code channelTonesHz}: left, right; empty: no sound track). */
    public static Path bounce(Path out, Codecs codecs, int width, int height, double fps, double seconds, double[] impacts,
            double[] channelTonesHz, double toneLevel) throws Exception {
        dev.foley.media.Ffmpeg.init();
        int frames = (int) Math.round(seconds * fps);
        int rate = codecs.sampleRate();
        int channels = channelTonesHz.length;
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(out.toFile(), width, height, channels)) {
            r.setFormat(codecs.format());
            r.setVideoCodecName(codecs.video());
            r.setPixelFormat(codecs.pixelFormat());
            codecs.videoOptions().forEach(r::setVideoOption);
            r.setFrameRate(fps);
            r.setGopSize((int) Math.round(fps * 2));
            r.setVideoBitrate(Math.max(400_000, width * height * 2));
            if (channels > 0) {
                r.setAudioCodecName(codecs.audio());
                // The encoder's own first sample format (PCM and FLAC take integers, not JavaCV's default float).
                var encoder = org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name(codecs.audio());
                if (encoder != null && encoder.sample_fmts() != null && !encoder.sample_fmts().isNull()) {
                    r.setSampleFormat(encoder.sample_fmts().get(0));
                }
                r.setSampleRate(rate);
                r.setAudioChannels(channels);
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
                if (channels > 0) {
                    long until = Math.round((i + 1) / fps * rate);
                    float[] s = new float[(int) (until - sampleAt) * channels]; // interleaved
                    for (int k = 0; k < s.length / channels; k++) {
                        for (int c = 0; c < channels; c++) {
                            s[k * channels + c] = (float) (toneLevel * Math.sin(2 * Math.PI * channelTonesHz[c] * (sampleAt + k) / rate));
                        }
                    }
                    sampleAt = until;
                    r.recordSamples(rate, channels, FloatBuffer.wrap(s));
                }
            }
            r.stop();
        }
        return out;
    }

    /**
     * A silent multi-shot clip: the picture changes at once at each of {@code cuts} (seconds,
     * ascending) to a shot of its own (its own grey level and stripes), a square bouncing in every
     * shot onto the floor at {@code impacts}, and at each of {@code flashes} one white frame (a
     * flash, not a cut). {@code fadeAt}: where a one-second fade to black and back starts (NaN: none).
     */
    public static Path shots(Path out, int width, int height, double fps, double seconds, double[] cuts, double[] impacts,
            double[] flashes, double fadeAt) throws Exception {
        dev.foley.media.Ffmpeg.init();
        int frames = (int) Math.round(seconds * fps);
        int[] levels = {40, 170, 95, 215, 60, 140};
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(out.toFile(), width, height, 0)) {
            r.setFormat("mp4");
            r.setVideoCodecName("libopenh264");
            r.setPixelFormat(AV_PIX_FMT_YUV420P);
            r.setFrameRate(fps);
            r.setGopSize((int) Math.round(fps * 2));
            r.setVideoBitrate(Math.max(400_000, width * height * 2));
            r.start();
            Frame f = new Frame(width, height, Frame.DEPTH_UBYTE, 1);
            ByteBuffer buf = (ByteBuffer) f.image[0];
            int stride = f.imageStride;
            int size = Math.max(4, height / 12);
            for (int i = 0; i < frames; i++) {
                double t = i / fps;
                int shot = 0;
                while (shot < cuts.length && t >= cuts[shot] - 1e-9) {
                    shot++;
                }
                boolean flash = false;
                for (double fl : flashes) {
                    flash |= Math.abs(t - fl) < 0.5 / fps;
                }
                double fade = Double.isNaN(fadeAt) ? 1 : Math.min(1, Math.abs(t - (fadeAt + 0.5)) / 0.5);
                int level = levels[shot % levels.length];
                int period = 6 + 5 * (shot % 5);
                int ink = level < 128 ? 235 : 16;
                double h = heightAt(t, impacts);
                int y = (int) Math.round((height - size) * (1 - h));
                int x = (width - size) / 2 + (shot % 3 - 1) * width / 4;
                for (int row = 0; row < height; row++) {
                    for (int col = 0; col < width; col++) {
                        int v;
                        if (flash) {
                            v = 250;
                        } else if (row >= y && row < y + size && col >= x && col < x + size) {
                            v = ink;
                        } else {
                            v = level + ((col / period) % 2 == 0 ? 25 : -25);
                        }
                        buf.put(row * stride + col, (byte) Math.max(0, Math.min(255, (int) Math.round(v * fade))));
                    }
                }
                r.setFrameNumber(i);
                r.record(f, AV_PIX_FMT_GRAY8);
            }
            r.stop();
        }
        return out;
    }

    /**
     * Copies {@code in} (an MP4) to {@code out} with a display matrix on its picture that turns it
     * {@code clockwise} degrees when shown, as a phone stores a portrait video: the pixels stay on
     * their side, players turn them upright. Nothing is re-encoded.
     */
    public static Path rotated(Path in, Path out, int clockwise) throws Exception {
        dev.foley.media.Ffmpeg.init();
        var ic = new org.bytedeco.ffmpeg.avformat.AVFormatContext(null);
        var oc = new org.bytedeco.ffmpeg.avformat.AVFormatContext(null);
        var pkt = org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc();
        try {
            ok(avformat_open_input(ic, in.toString(), null, null), "open " + in);
            ok(avformat_find_stream_info(ic, (org.bytedeco.javacpp.PointerPointer<?>) null), "streams");
            ok(avformat_alloc_output_context2(oc, null, "mp4", out.toString()), "output");
            for (int i = 0; i < ic.nb_streams(); i++) {
                var os = avformat_new_stream(oc, null);
                ok(org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy(os.codecpar(), ic.streams(i).codecpar()), "copy");
                os.codecpar().codec_tag(0);
                os.time_base(ic.streams(i).time_base());
                if (os.codecpar().codec_type() == org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO) {
                    var list = new org.bytedeco.javacpp.PointerPointer<>(1);
                    list.zero(); // no list yet: FFmpeg allocates it
                    var count = new org.bytedeco.javacpp.IntPointer(1).put(0);
                    var sd = org.bytedeco.ffmpeg.global.avcodec.av_packet_side_data_new(list, count,
                            org.bytedeco.ffmpeg.global.avcodec.AV_PKT_DATA_DISPLAYMATRIX, 36, 0);
                    // A matrix set with angle a reads back as -a, which players (FFmpeg's autorotate too) turn by
                    // -(-a) = a clockwise.
                    org.bytedeco.ffmpeg.global.avutil.av_display_rotation_set(new org.bytedeco.javacpp.IntPointer(sd.data()), clockwise);
                    os.codecpar().coded_side_data(new org.bytedeco.ffmpeg.avcodec.AVPacketSideData(list.get(0)));
                    os.codecpar().nb_coded_side_data(count.get());
                }
            }
            var pb = new org.bytedeco.ffmpeg.avformat.AVIOContext(null);
            ok(avio_open(pb, out.toString(), AVIO_FLAG_WRITE), "open " + out);
            oc.pb(pb);
            ok(avformat_write_header(oc, (org.bytedeco.ffmpeg.avutil.AVDictionary) null), "header");
            while (av_read_frame(ic, pkt) >= 0) {
                int s = pkt.stream_index();
                org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts(pkt, ic.streams(s).time_base(), oc.streams(s).time_base());
                pkt.pos(-1);
                ok(av_interleaved_write_frame(oc, pkt), "packet");
            }
            ok(av_write_trailer(oc), "trailer");
        } finally {
            org.bytedeco.ffmpeg.global.avcodec.av_packet_free(pkt);
            if (oc.pb() != null && !oc.pb().isNull()) {
                avio_closep(oc.pb());
            }
            avformat_free_context(oc);
            avformat_close_input(ic);
        }
        return out;
    }

    private static void ok(int ret, String what) throws java.io.IOException {
        if (ret < 0) {
            throw new java.io.IOException("FFmpeg: " + what + " failed (" + ret + ")");
        }
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
