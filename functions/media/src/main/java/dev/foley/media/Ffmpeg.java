package dev.foley.media;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FLAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MP3;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_PCM_S16LE;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
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
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT;
import static org.bytedeco.ffmpeg.global.avutil.av_compare_ts;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;

import dev.foley.prediction.Windows;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

/**
 * The FFmpeg operations the media function needs, through JavaCV (decoding, encoding) and FFmpeg's
 * own muxing API (copying the picture untouched): probe, cut windows, decode a sound track, encode
 * one, put one on a video.
 */
public final class Ffmpeg {

    /** The sample rate sound is worked on at (MMAudio's 44.1 kHz model). */
    public static final int RATE = 44_100;
    /** Windows are re-encoded small: the model reads 8 and 25 fps, and resolution only costs decode time. */
    static final int WINDOW_FPS = 25;
    static final int WINDOW_SHORT_SIDE = 384;
    private static final int CHUNK = 4096;
    private static volatile boolean ready;

    /** What a file holds. {@code seconds}: the container's duration (or the video stream's). */
    public record Probe(boolean hasVideo, boolean hasAudio, int width, int height, double frameRate, double seconds,
            String videoCodec, String audioCodec) {
    }

    /** A file FFmpeg cannot use as asked: its message is plain, for the client. */
    public static final class UnreadableException extends IOException {
        public UnreadableException(String message) {
            super(message);
        }
    }

    private Ffmpeg() {
    }

    /** FFmpeg set-up, once: errors only on the console. */
    public static void init() {
        if (!ready) {
            synchronized (Ffmpeg.class) {
                if (!ready) {
                    av_log_set_level(AV_LOG_ERROR);
                    FFmpegLogCallback.setLevel(AV_LOG_ERROR);
                    ready = true;
                }
            }
        }
    }

    public static Probe probe(Path file) throws UnreadableException {
        init();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.start();
            Probe p = new Probe(g.hasVideo(), g.hasAudio(), g.getImageWidth(), g.getImageHeight(), g.getFrameRate(),
                    g.getLengthInTime() / 1e6, g.hasVideo() ? g.getVideoCodecName() : null, g.hasAudio() ? g.getAudioCodecName() : null);
            g.stop();
            return p;
        } catch (FrameGrabber.Exception e) {
            throw new UnreadableException("not a media file FFmpeg can read");
        }
    }

    /**
     * Cuts {@code source} into the windows of {@code plan}, each re-encoded small (short side at most
     * {@link #WINDOW_SHORT_SIDE}, at most {@link #WINDOW_FPS} fps, H.264, no sound), in two decoding
     * passes at once over the two halves: a frame inside two overlapping windows goes to both.
     * Each finished window is handed to {@code done} (from either thread; it may then delete it); at
     * most two windows are open in each pass.
     */
    public static void cut(Path source, List<Windows.Window> plan, Path dir, WindowSink done) throws IOException {
        cut(source, probe(source), plan, dir, done);
    }

    /** The same, for a source already probed (so it is not opened once more to be measured). */
    public static void cut(Path source, Probe p, List<Windows.Window> plan, Path dir, WindowSink done) throws IOException {
        init();
        if (!p.hasVideo()) {
            throw new UnreadableException("the file has no video stream");
        }
        double scale = Math.min(1.0, WINDOW_SHORT_SIDE / (double) Math.min(p.width(), p.height()));
        int w = Math.max(2, (int) Math.round(p.width() * scale / 2) * 2);
        int h = Math.max(2, (int) Math.round(p.height() * scale / 2) * 2);
        // At most 25 fps; a slower video keeps its own rate, so every frame keeps its exact time.
        double fps = p.frameRate() > 0 && p.frameRate() <= WINDOW_FPS ? p.frameRate() : WINDOW_FPS;
        Long base = firstFrameTime(source);
        if (base == null) {
            throw new UnreadableException("no frame could be decoded (a truncated or corrupt file)");
        }
        // Two halves at once, each decoding from its own start (on Lambda's two vCPUs, as here):
        // the encoders, not the decoder, are most of the work.
        int half = plan.size() >= 4 ? plan.size() / 2 : plan.size();
        var second = half < plan.size()
                ? java.util.concurrent.CompletableFuture.runAsync(() -> {
                    try {
                        cutRange(source, plan, half, plan.size(), base, w, h, fps, dir, done);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }) : java.util.concurrent.CompletableFuture.completedFuture((Void) null);
        try {
            cutRange(source, plan, 0, half, base, w, h, fps, dir, done);
        } finally {
            try {
                second.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof java.io.UncheckedIOException u) {
                    throw u.getCause();
                }
                throw e;
            }
        }
    }

    /** The timestamp (µs) of the video's first frame, or null when none can be decoded. */
    private static Long firstFrameTime(Path source) throws UnreadableException {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(source.toFile())) {
            g.start();
            Frame f = g.grabImage();
            return f == null ? null : f.timestamp;
        } catch (FrameGrabber.Exception e) {
            return null;
        }
    }

    /** Windows {@code [from, to)} of {@code plan}, from one decoder that starts just before the first of them. */
    private static void cutRange(Path source, List<Windows.Window> plan, int from, int to, long base, int w, int h, double fps,
            Path dir, WindowSink done) throws IOException {
        FFmpegFrameRecorder[] open = new FFmpegFrameRecorder[plan.size()];
        long[] lastSlot = new long[plan.size()];
        java.util.Arrays.fill(lastSlot, -1);
        int next = from; // the first window not yet finished
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(source.toFile())) {
            g.setImageWidth(w);
            g.setImageHeight(h);
            g.setPixelFormat(AV_PIX_FMT_YUV420P);
            g.setVideoOption("threads", "1");
            g.start();
            if (from > 0) {
                g.setVideoTimestamp(base + Math.max(0, Math.round(plan.get(from).start() * 1e6) - 100_000));
            }
            Frame f;
            while ((f = g.grabImage()) != null && next < to) {
                double t = (f.timestamp - base) / 1e6;
                while (next < to && t >= plan.get(next).end() - 1e-6) {
                    finish(open, next, dir, done, plan);
                    next++;
                }
                for (int i = next; i < to && plan.get(i).start() <= t + 1e-6; i++) {
                    if (t >= plan.get(i).end() || t < plan.get(i).start() - 0.5 / fps) {
                        continue;
                    }
                    long slot = Math.max(0, Math.round((t - plan.get(i).start()) * fps));
                    if (slot <= lastSlot[i]) {
                        continue; // above 25 fps: frames between slots are dropped
                    }
                    if (open[i] == null) {
                        open[i] = windowRecorder(dir.resolve("in-" + i + ".mp4"), w, h, fps);
                    }
                    open[i].setFrameNumber((int) slot);
                    open[i].record(f);
                    lastSlot[i] = slot;
                }
            }
            for (; next < to; next++) {
                finish(open, next, dir, done, plan);
            }
        } catch (FrameGrabber.Exception | FFmpegFrameRecorder.Exception e) {
            throw new UnreadableException("the video could not be decoded (" + firstLine(e) + ")");
        } finally {
            for (FFmpegFrameRecorder r : open) {
                closeQuietly(r);
            }
        }
    }

    /** Receives each window's clip as it is finished. */
    @FunctionalInterface
    public interface WindowSink {
        void accept(int index, Path clip) throws IOException;
    }

    private static void finish(FFmpegFrameRecorder[] open, int i, Path dir, WindowSink done, List<Windows.Window> plan)
            throws IOException {
        if (open[i] == null) {
            throw new UnreadableException(i == 0 ? "no frame could be decoded (a truncated or corrupt file)"
                    : String.format(java.util.Locale.ROOT, "it has no frames from %.1f s to %.1f s (a truncated file?)",
                            plan.get(i).start(), plan.get(i).end()));
        }
        open[i].stop();
        open[i].release();
        open[i] = null;
        done.accept(i, dir.resolve("in-" + i + ".mp4"));
    }

    private static FFmpegFrameRecorder windowRecorder(Path file, int w, int h, double fps) throws FFmpegFrameRecorder.Exception {
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), w, h, 0);
        r.setFormat("mp4");
        r.setVideoCodecName("libopenh264");
        r.setPixelFormat(AV_PIX_FMT_YUV420P);
        r.setFrameRate(fps);
        r.setGopSize((int) Math.round(fps));
        r.setVideoBitrate(Math.max(300_000, w * h * 4));
        r.start();
        return r;
    }

    /** The file's first sound track, mono at {@code rate}; null when it has none. */
    public static float[] audio(Path file, int rate) throws UnreadableException {
        init();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setSampleFormat(AV_SAMPLE_FMT_FLT);
            g.setSampleRate(rate);
            g.setAudioChannels(1);
            g.start();
            if (!g.hasAudio()) {
                return null;
            }
            List<float[]> chunks = new ArrayList<>();
            int total = 0;
            Frame f;
            while ((f = g.grabSamples()) != null) {
                FloatBuffer b = (FloatBuffer) f.samples[0];
                float[] c = new float[b.remaining()];
                b.get(c);
                chunks.add(c);
                total += c.length;
            }
            float[] all = new float[total];
            int off = 0;
            for (float[] c : chunks) {
                System.arraycopy(c, 0, all, off, c.length);
                off += c.length;
            }
            return all;
        } catch (FrameGrabber.Exception | ClassCastException e) {
            throw new UnreadableException("its sound could not be decoded");
        }
    }

    /** Encodes mono {@code samples} as {@code format} (wav, flac, mp3, m4a). */
    public static void encode(float[] samples, int rate, String format, Path out) throws IOException {
        init();
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(out.toFile(), 1)) {
            switch (format) {
                case "wav" -> {
                    r.setFormat("wav");
                    r.setAudioCodec(AV_CODEC_ID_PCM_S16LE);
                }
                case "flac" -> {
                    r.setFormat("flac");
                    r.setAudioCodec(AV_CODEC_ID_FLAC);
                }
                case "mp3" -> {
                    r.setFormat("mp3");
                    r.setAudioCodec(AV_CODEC_ID_MP3);
                    r.setAudioBitrate(192_000);
                }
                case "m4a" -> {
                    r.setFormat("ipod");
                    r.setAudioCodec(AV_CODEC_ID_AAC);
                    r.setAudioBitrate(192_000);
                    // FFmpeg's AAC encoder: its "fast" coder is several times quicker on tonal sound, and as good at this rate.
                    r.setAudioOption("aac_coder", "fast");
                    r.setOption("movflags", "+faststart");
                }
                default -> throw new IllegalArgumentException("no audio format " + format);
            }
            r.setSampleRate(rate);
            r.setAudioChannels(1);
            r.start();
            for (int off = 0; off < samples.length; off += CHUNK) {
                r.recordSamples(rate, 1, FloatBuffer.wrap(samples, off, Math.min(CHUNK, samples.length - off)));
            }
            r.stop();
        } catch (FFmpegFrameRecorder.Exception e) {
            throw new IOException("encoding " + format + " failed (" + firstLine(e) + ")", e);
        }
    }

    /**
     * Writes {@code out} (MP4): the picture of {@code video}, its packets copied (not re-encoded),
     * up to {@code seconds}, with the sound track of {@code audio} (copied too), interleaved by time.
     */
    public static void mux(Path video, Path audio, double seconds, Path out) throws IOException {
        init();
        AVFormatContext iv = open(video);
        AVFormatContext ia = null;
        AVFormatContext oc = new AVFormatContext(null);
        AVPacket pv = av_packet_alloc();
        AVPacket pa = av_packet_alloc();
        try {
            ia = open(audio);
            int vi = av_find_best_stream(iv, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
            int ai = av_find_best_stream(ia, AVMEDIA_TYPE_AUDIO, -1, -1, (AVCodec) null, 0);
            if (vi < 0 || ai < 0) {
                throw new UnreadableException(vi < 0 ? "the file has no video stream" : "the sound track is missing");
            }
            check(avformat_alloc_output_context2(oc, null, "mp4", out.toString()), "output");
            AVStream ov = avformat_new_stream(oc, null);
            check(avcodec_parameters_copy(ov.codecpar(), iv.streams(vi).codecpar()), "video parameters");
            ov.codecpar().codec_tag(0);
            ov.time_base(iv.streams(vi).time_base());
            AVStream oa = avformat_new_stream(oc, null);
            check(avcodec_parameters_copy(oa.codecpar(), ia.streams(ai).codecpar()), "audio parameters");
            oa.codecpar().codec_tag(0);
            oa.time_base(ia.streams(ai).time_base());
            AVIOContext pb = new AVIOContext(null);
            check(avio_open(pb, out.toString(), AVIO_FLAG_WRITE), "open output");
            oc.pb(pb);
            AVDictionary opts = new AVDictionary(null);
            av_dict_set(opts, "movflags", "+faststart", 0);
            int header = avformat_write_header(oc, opts);
            av_dict_free(opts);
            check(header, "header");
            AVRational tbv = iv.streams(vi).time_base();
            AVRational tba = ia.streams(ai).time_base();
            long vStart = iv.streams(vi).start_time() == AV_NOPTS_VALUE ? 0 : iv.streams(vi).start_time();
            boolean hv = next(iv, vi, pv);
            boolean ha = next(ia, ai, pa);
            while (hv || ha) {
                boolean takeVideo = hv && (!ha || av_compare_ts(ts(pv), tbv, ts(pa), tba) <= 0);
                if (takeVideo) {
                    long pts = pv.pts() == AV_NOPTS_VALUE ? ts(pv) : pv.pts();
                    double t = (pts - vStart) * tbv.num() / (double) tbv.den();
                    if (t < seconds - 1e-6) {
                        av_packet_rescale_ts(pv, tbv, oc.streams(0).time_base());
                        pv.stream_index(0);
                        pv.pos(-1);
                        check(av_interleaved_write_frame(oc, pv), "video packet");
                    } else {
                        av_packet_unref(pv);
                    }
                    hv = next(iv, vi, pv);
                } else {
                    av_packet_rescale_ts(pa, tba, oc.streams(1).time_base());
                    pa.stream_index(1);
                    pa.pos(-1);
                    check(av_interleaved_write_frame(oc, pa), "audio packet");
                    ha = next(ia, ai, pa);
                }
            }
            check(av_write_trailer(oc), "trailer");
        } finally {
            av_packet_free(pv);
            av_packet_free(pa);
            if (oc.pb() != null && !oc.pb().isNull()) {
                avio_closep(oc.pb());
            }
            avformat_free_context(oc);
            avformat_close_input(iv);
            if (ia != null) {
                avformat_close_input(ia);
            }
        }
    }

    private static long ts(AVPacket p) {
        return p.dts() != AV_NOPTS_VALUE ? p.dts() : p.pts();
    }

    private static boolean next(AVFormatContext ctx, int stream, AVPacket pkt) {
        while (av_read_frame(ctx, pkt) >= 0) {
            if (pkt.stream_index() == stream) {
                return true;
            }
            av_packet_unref(pkt);
        }
        return false;
    }

    private static AVFormatContext open(Path file) throws UnreadableException {
        AVFormatContext ctx = new AVFormatContext(null);
        if (avformat_open_input(ctx, file.toString(), null, null) < 0) {
            throw new UnreadableException("not a media file FFmpeg can read");
        }
        if (avformat_find_stream_info(ctx, (PointerPointer<?>) null) < 0) {
            avformat_close_input(ctx);
            throw new UnreadableException("its streams could not be read");
        }
        return ctx;
    }

    private static void check(int ret, String what) throws IOException {
        if (ret < 0) {
            throw new IOException("FFmpeg failed writing the result (" + what + ", error " + ret + ")");
        }
    }

    private static void closeQuietly(FFmpegFrameRecorder r) {
        if (r != null) {
            try {
                r.close();
            } catch (Exception ignored) {
                // already failing
            }
        }
    }

    /** FFmpeg's messages name files and internals: the first line, short, file paths masked. */
    public static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        m = nl > 0 ? m.substring(0, nl) : m;
        m = m.replaceAll("(/[^\\s:]+)+", "<file>");
        return m.length() > 160 ? m.substring(0, 160) : m;
    }
}
