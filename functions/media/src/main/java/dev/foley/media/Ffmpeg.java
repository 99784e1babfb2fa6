package dev.foley.media;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_DISCARD;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FLAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_HEVC;
import static org.bytedeco.ffmpeg.global.avcodec.FF_COMPLIANCE_NORMAL;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MP3;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_PCM_S16LE;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_descriptor_get_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_DATA_DISPLAYMATRIX;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_side_data_get;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.AV_DISPOSITION_ATTACHED_PIC;
import static org.bytedeco.ffmpeg.global.avformat.av_find_input_format;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_format;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_frame_rate;
import static org.bytedeco.ffmpeg.global.avformat.avformat_query_codec;
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
import static org.bytedeco.ffmpeg.global.avutil.AV_TIME_BASE;
import static org.bytedeco.ffmpeg.global.avutil.av_q2d;
import static org.bytedeco.ffmpeg.global.avutil.av_display_rotation_get;
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
import org.bytedeco.ffmpeg.avcodec.AVCodecDescriptor;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacketSideData;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacv.FFmpegFrameFilter;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameFilter;
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

    /**
     * What a file holds. {@code seconds}: the picture's own length (the file's, for sound alone). Codecs by
     * FFmpeg's codec names ({@code h264}, {@code aac}), whichever decoder would read them; the stream
     * indexes are the picture and sound {@link #cut} and {@link #audio} read (-1: none).
     * {@code width} x {@code height} are as stored; {@code rotation} (0, 90, 180, 270) is how far
     * clockwise the picture is turned to be shown (a phone's portrait video is stored on its side);
     * {@code audioChannels}: the sound track's (0 without one).
     */
    public record Probe(boolean hasVideo, boolean hasAudio, int width, int height, double frameRate, double seconds,
            String videoCodec, String audioCodec, int videoStream, int audioStream, int rotation, int audioChannels) {
    }

    /**
     * The pictures Foley reads, by FFmpeg codec name: what cameras, phones, editors and the web
     * produce. The Lambda build (functions/media/native) has a decoder for each and nothing more, so
     * local mode refuses what Lambda could not read: the same answer everywhere.
     */
    public static final List<String> VIDEO_CODECS = List.of("h264", "hevc", "av1", "vp9", "vp8", "mpeg4", "mpeg2video",
            "mpeg1video", "mjpeg", "prores", "h263");
    /** The sound Foley reads: a clip's own track (for mix and duck) and what the providers return. */
    public static final List<String> AUDIO_CODECS = List.of("aac", "mp3", "opus", "vorbis", "flac", "alac", "ac3", "eac3",
            "mp2", "aac_latm", "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_s32be", "pcm_f32le",
            "pcm_f32be", "pcm_f64le", "pcm_u8", "pcm_s8", "pcm_alaw", "pcm_mulaw");
    /** The encoders it writes with: windows (OpenH264), and each output format. */
    static final List<String> ENCODERS = List.of("libopenh264", "aac", "flac", "pcm_s16le", "libmp3lame");
    /** The containers it reads ... */
    static final List<String> DEMUXERS = List.of("mov", "matroska", "avi", "mpegts", "mpeg", "mp3", "aac", "flac", "wav", "ogg");
    /** ... and writes. */
    static final List<String> MUXERS = List.of("mp4", "ipod", "wav", "flac", "mp3");
    /** The filters that turn a picture upright, and those JavaCV's filter graph is built with. */
    static final List<String> FILTERS = List.of("transpose", "hflip", "vflip", "buffer", "buffersink", "setpts", "format");

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

    /**
     * Reads what {@code file} holds from its container and stream headers (no decoder needed, so a
     * codec Foley does not read is still named). The picture is the first video stream that is not
     * a cover image.
     */
    public static Probe probe(Path file) throws UnreadableException {
        return probe(file, true);
    }

    /**
     * The same; without {@code measure} the picture's length is what its headers say (no pass over
     * the packets): for a caller that only needs the streams and codecs (decoding the sound).
     */
    private static Probe probe(Path file, boolean measure) throws UnreadableException {
        init();
        AVFormatContext ctx = open(file);
        try {
            int vi = -1;
            int ai = -1;
            for (int i = 0; i < ctx.nb_streams(); i++) {
                AVStream st = ctx.streams(i);
                int type = st.codecpar().codec_type();
                if (vi < 0 && type == AVMEDIA_TYPE_VIDEO && (st.disposition() & AV_DISPOSITION_ATTACHED_PIC) == 0) {
                    vi = i;
                } else if (ai < 0 && type == AVMEDIA_TYPE_AUDIO) {
                    ai = i;
                }
            }
            AVStream v = vi < 0 ? null : ctx.streams(vi);
            double seconds = v != null ? (measure ? pictureSeconds(ctx, vi) : declaredSeconds(ctx, vi))
                    : ctx.duration() != AV_NOPTS_VALUE && ctx.duration() > 0 ? ctx.duration() / (double) AV_TIME_BASE : 0;
            double fps = v == null ? 0 : av_q2d(av_guess_frame_rate(ctx, v, null));
            return new Probe(v != null, ai >= 0, v == null ? 0 : v.codecpar().width(), v == null ? 0 : v.codecpar().height(),
                    Double.isFinite(fps) ? fps : 0, seconds, v == null ? null : codecName(v.codecpar().codec_id()),
                    ai < 0 ? null : codecName(ctx.streams(ai).codecpar().codec_id()), vi, ai, v == null ? 0 : rotation(v),
                    ai < 0 ? 0 : ctx.streams(ai).codecpar().ch_layout().nb_channels());
        } finally {
            avformat_close_input(ctx);
        }
    }

    /**
     * How long the picture lasts: the end of its last packet, as the file holds it, never the length
     * a header declares (a header can say 5 s over 700 s of frames, and Matroska, WebM and MPEG-TS
     * keep none per stream; a file's overall length can be an estimate far off: an AVI's VBR MP3
     * track, a muxer's guess). The packets are read, not decoded; packets an edit list drops are not
     * counted. The header's length only stands in when no packet has a time.
     */
    private static double pictureSeconds(AVFormatContext ctx, int vi) {
        AVStream v = ctx.streams(vi);
        double tb = av_q2d(v.time_base());
        // A packet without a duration (Matroska often) lasts one frame.
        double fps = av_q2d(av_guess_frame_rate(ctx, v, null));
        long frame = fps > 0 && Double.isFinite(fps) ? Math.max(1, Math.round(1 / (fps * tb))) : 0;
        long first = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        AVPacket pkt = av_packet_alloc();
        try {
            while (av_read_frame(ctx, pkt) >= 0) {
                long t = pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() : pkt.dts();
                if (pkt.stream_index() == vi && t != AV_NOPTS_VALUE && (pkt.flags() & AV_PKT_FLAG_DISCARD) == 0) {
                    first = Math.min(first, t);
                    end = Math.max(end, t + (pkt.duration() > 0 ? pkt.duration() : frame));
                }
                av_packet_unref(pkt);
            }
        } finally {
            av_packet_free(pkt);
        }
        if (end > first) {
            return (end - first) * tb;
        }
        if (v.duration() != AV_NOPTS_VALUE && v.duration() > 0) {
            return v.duration() * tb;
        }
        return ctx.duration() != AV_NOPTS_VALUE && ctx.duration() > 0 ? ctx.duration() / (double) AV_TIME_BASE : 0;
    }

    /** The picture's length as its headers declare it (the stream's, else the file's). */
    private static double declaredSeconds(AVFormatContext ctx, int vi) {
        AVStream v = ctx.streams(vi);
        if (v.duration() != AV_NOPTS_VALUE && v.duration() > 0) {
            return v.duration() * av_q2d(v.time_base());
        }
        return ctx.duration() != AV_NOPTS_VALUE && ctx.duration() > 0 ? ctx.duration() / (double) AV_TIME_BASE : 0;
    }

    /** Clockwise degrees (0, 90, 180, 270) the stream's display matrix turns its picture; 0 without one. */
    private static int rotation(AVStream v) {
        AVCodecParameters par = v.codecpar();
        if (par.nb_coded_side_data() <= 0) {
            return 0;
        }
        AVPacketSideData sd = av_packet_side_data_get(par.coded_side_data(), par.nb_coded_side_data(), AV_PKT_DATA_DISPLAYMATRIX);
        if (sd == null || sd.isNull() || sd.size() < 36) {
            return 0;
        }
        double counterClockwise = av_display_rotation_get(new IntPointer(sd.data()));
        if (!Double.isFinite(counterClockwise)) {
            return 0;
        }
        int quarter = (int) Math.round(-counterClockwise / 90.0);
        return Math.floorMod(quarter * 90, 360);
    }

    /**
     * Turns decoded pictures upright, as players show them ({@link Probe#rotation}): FFmpeg's
     * transpose and flip filters; with no rotation, frames pass untouched and no filter runs.
     */
    private static final class Upright implements AutoCloseable {
        private final FFmpegFrameFilter filter;

        Upright(int rotation, int width, int height) throws FrameFilter.Exception {
            String turn = switch (rotation) {
                case 90 -> "transpose=clock";
                case 180 -> "hflip,vflip";
                case 270 -> "transpose=cclock";
                default -> null;
            };
            filter = turn == null ? null : new FFmpegFrameFilter(turn, width, height);
            if (filter != null) {
                filter.setPixelFormat(AV_PIX_FMT_YUV420P);
                filter.start();
            }
        }

        /** Width and height as shown. */
        static int[] shown(int rotation, int width, int height) {
            return rotation == 90 || rotation == 270 ? new int[] {height, width} : new int[] {width, height};
        }

        Frame apply(Frame f) throws FrameFilter.Exception {
            if (filter == null) {
                return f;
            }
            filter.push(f);
            return filter.pull();
        }

        @Override
        public void close() throws FrameFilter.Exception {
            if (filter != null) {
                filter.close();
            }
        }
    }

    private static String codecName(int id) {
        BytePointer name = avcodec_get_name(id);
        return name == null || name.isNull() ? "unknown" : name.getString();
    }

    /**
     * What the loaded FFmpeg lacks of what Foley needs (decoders for {@link #VIDEO_CODECS} and
     * {@link #AUDIO_CODECS}, its encoders, containers): empty when this build does all of it.
     */
    public static List<String> missing() {
        init();
        List<String> out = new ArrayList<>();
        for (String c : VIDEO_CODECS) {
            if (!decodes(c)) {
                out.add("decoder " + c);
            }
        }
        for (String c : AUDIO_CODECS) {
            if (!decodes(c)) {
                out.add("decoder " + c);
            }
        }
        for (String c : ENCODERS) {
            if (avcodec_find_encoder_by_name(c) == null) {
                out.add("encoder " + c);
            }
        }
        for (String f : DEMUXERS) {
            if (av_find_input_format(f) == null) {
                out.add("demuxer " + f);
            }
        }
        for (String f : MUXERS) {
            if (av_guess_format(f, null, null) == null) {
                out.add("muxer " + f);
            }
        }
        for (String f : FILTERS) {
            if (org.bytedeco.ffmpeg.global.avfilter.avfilter_get_by_name(f) == null) {
                out.add("filter " + f);
            }
        }
        return out;
    }

    private static boolean decodes(String codec) {
        AVCodecDescriptor d = avcodec_descriptor_get_by_name(codec);
        return d != null && !d.isNull() && avcodec_find_decoder(d.id()) != null;
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
        if (!VIDEO_CODECS.contains(p.videoCodec())) {
            throw new UnreadableException(notRead("picture", p.videoCodec(), VIDEO_CODECS));
        }
        double scale = Math.min(1.0, WINDOW_SHORT_SIDE / (double) Math.min(p.width(), p.height()));
        int w = Math.max(2, (int) Math.round(p.width() * scale / 2) * 2);
        int h = Math.max(2, (int) Math.round(p.height() * scale / 2) * 2);
        // At most 25 fps; a slower video keeps its own rate, so every frame keeps its exact time.
        double fps = p.frameRate() > 0 && p.frameRate() <= WINDOW_FPS ? p.frameRate() : WINDOW_FPS;
        Long base = firstFrameTime(source, p.videoStream());
        if (base == null) {
            throw new UnreadableException("no frame could be decoded (a truncated or corrupt file)");
        }
        // Two halves at once, each decoding from its own start (on Lambda's two vCPUs, as here):
        // the encoders, not the decoder, are most of the work.
        int half = plan.size() >= 4 ? plan.size() / 2 : plan.size();
        var second = half < plan.size()
                ? java.util.concurrent.CompletableFuture.runAsync(() -> {
                    try {
                        cutRange(source, p.videoStream(), p.rotation(), plan, half, plan.size(), base, w, h, fps, dir, done);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }) : java.util.concurrent.CompletableFuture.completedFuture((Void) null);
        try {
            cutRange(source, p.videoStream(), p.rotation(), plan, 0, half, base, w, h, fps, dir, done);
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
    private static Long firstFrameTime(Path source, int stream) throws UnreadableException {
        try (FFmpegFrameGrabber g = pictureOnly(source, stream)) {
            g.start();
            Frame f = g.grabImage();
            return f == null ? null : f.timestamp;
        } catch (FrameGrabber.Exception e) {
            return null;
        }
    }

    /** Windows {@code [from, to)} of {@code plan}, from one decoder that starts just before the first of them. */
    private static void cutRange(Path source, int stream, int rotation, List<Windows.Window> plan, int from, int to, long base,
            int w, int h, double fps, Path dir, WindowSink done) throws IOException {
        FFmpegFrameRecorder[] open = new FFmpegFrameRecorder[plan.size()];
        long[] lastSlot = new long[plan.size()];
        java.util.Arrays.fill(lastSlot, -1);
        int next = from; // the first window not yet finished
        // Windows go to the model upright, as the video is shown: a portrait phone clip is stored on its side.
        int[] shown = Upright.shown(rotation, w, h);
        try (FFmpegFrameGrabber g = pictureOnly(source, stream); Upright upright = new Upright(rotation, w, h)) {
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
                Frame up = null;
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
                        open[i] = windowRecorder(dir.resolve("in-" + i + ".mp4"), shown[0], shown[1], fps);
                    }
                    up = up == null ? upright.apply(f) : up;
                    open[i].setFrameNumber((int) slot);
                    open[i].record(up);
                    lastSlot[i] = slot;
                }
            }
            for (; next < to; next++) {
                finish(open, next, dir, done, plan);
            }
        } catch (FrameGrabber.Exception | FFmpegFrameRecorder.Exception | FrameFilter.Exception e) {
            throw new UnreadableException("the video could not be decoded (" + firstLine(e) + ")");
        } finally {
            for (FFmpegFrameRecorder r : open) {
                closeQuietly(r);
            }
        }
    }

    /**
     * A grabber of one picture stream, its sound left closed (a track Foley does not read cannot
     * stop the cut, and no audio decoder runs for nothing).
     */
    private static FFmpegFrameGrabber pictureOnly(Path source, int stream) {
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(source.toFile());
        g.setVideoStream(stream);
        g.setAudioStream(Integer.MAX_VALUE); // no such stream: no sound opened
        return g;
    }

    /** "its picture is coded as theora, which Foley does not read (it reads h264, hevc, …)". */
    static String notRead(String what, String codec, List<String> reads) {
        return "its " + what + " is coded as " + codec + ", which Foley does not read (it reads "
                + String.join(", ", reads.stream().filter(c -> !c.startsWith("pcm_") || c.equals("pcm_s16le")).toList())
                + (reads == AUDIO_CODECS ? " and other PCM" : "") + ")";
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
        float[][] one = audio(file, rate, 1);
        return one == null ? null : one[0];
    }

    /**
     * The file's first sound track at {@code rate}, one array a channel: its own channels, at most
     * {@code maxChannels} (more are mixed down: 5.1 to stereo, stereo to mono); null when it has none.
     */
    public static float[][] audio(Path file, int rate, int maxChannels) throws UnreadableException {
        Probe p = probe(file, false); // the streams and codecs: the picture's length is not needed here
        if (!p.hasAudio()) {
            return null;
        }
        if (!AUDIO_CODECS.contains(p.audioCodec())) {
            throw new UnreadableException(notRead("sound", p.audioCodec(), AUDIO_CODECS));
        }
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setVideoStream(Integer.MAX_VALUE); // no such stream: the picture is not decoded
            g.setAudioStream(p.audioStream());
            g.setSampleFormat(AV_SAMPLE_FMT_FLT);
            g.setSampleRate(rate);
            int channels = Math.max(1, Math.min(maxChannels, p.audioChannels()));
            g.setAudioChannels(channels);
            g.start();
            List<float[]> chunks = new ArrayList<>(); // interleaved
            long total = 0;
            Frame f;
            while ((f = g.grabSamples()) != null) {
                FloatBuffer b = (FloatBuffer) f.samples[0];
                float[] c = new float[b.remaining()];
                b.get(c);
                chunks.add(c);
                total += c.length;
            }
            float[][] out = new float[channels][(int) (total / channels)];
            long at = 0;
            for (float[] c : chunks) {
                for (float v : c) {
                    long frame = at / channels;
                    if (frame < out[0].length) {
                        out[(int) (at % channels)][(int) frame] = v;
                    }
                    at++;
                }
            }
            return out;
        } catch (FrameGrabber.Exception | ClassCastException e) {
            throw new UnreadableException("its sound could not be decoded");
        }
    }

    /** Encodes mono {@code samples} as {@code format} (wav, flac, mp3, m4a). */
    public static void encode(float[] samples, int rate, String format, Path out) throws IOException {
        encode(new float[][] {samples}, rate, format, out);
    }

    /** Encodes {@code channels} (one array a channel, all as long: mono or stereo) as {@code format}. */
    public static void encode(float[][] channels, int rate, String format, Path out) throws IOException {
        init();
        int n = channels.length;
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(out.toFile(), n)) {
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
            r.setAudioChannels(n);
            r.start();
            int length = channels[0].length;
            float[] chunk = new float[CHUNK * n];
            for (int off = 0; off < length; off += CHUNK) {
                int frames = Math.min(CHUNK, length - off);
                for (int i = 0; i < frames; i++) {
                    for (int c = 0; c < n; c++) {
                        chunk[i * n + c] = channels[c][off + i];
                    }
                }
                r.recordSamples(rate, n, FloatBuffer.wrap(chunk, 0, frames * n));
            }
            r.stop();
        } catch (FFmpegFrameRecorder.Exception e) {
            throw new IOException("encoding " + format + " failed (" + firstLine(e) + ")", e);
        }
    }

    /**
     * Writes {@code out} (MP4): the picture of {@code video}, its packets copied (not re-encoded),
     * up to {@code seconds}, with the sound track of {@code audio} (copied too), interleaved by time.
     * A picture MP4 cannot carry (VP8, ProRes, H.263) is re-encoded as H.264 first, at its own size
     * and rate: the one case where it is not copied.
     */
    public static void mux(Path video, Path audio, double seconds, Path out) throws IOException {
        init();
        Probe p = probe(video);
        if (!p.hasVideo()) {
            throw new UnreadableException("the file has no video stream");
        }
        AVCodecDescriptor d = avcodec_descriptor_get_by_name(p.videoCodec());
        if (d != null && !d.isNull() && avformat_query_codec(av_guess_format("mp4", null, null), d.id(), FF_COMPLIANCE_NORMAL) == 1) {
            muxCopy(video, p.videoStream(), audio, seconds, out);
            return;
        }
        Path picture = out.resolveSibling(out.getFileName() + ".picture.mp4");
        try {
            encodePicture(video, p, seconds, picture);
            muxCopy(picture, 0, audio, seconds, out);
        } finally {
            java.nio.file.Files.deleteIfExists(picture);
        }
    }

    /** The picture of {@code video} (its first {@code seconds}) as H.264 in MP4, at its own size and rate. */
    private static void encodePicture(Path video, Probe p, double seconds, Path out) throws IOException {
        if (!VIDEO_CODECS.contains(p.videoCodec())) {
            throw new UnreadableException(notRead("picture", p.videoCodec(), VIDEO_CODECS));
        }
        double fps = p.frameRate() > 0 ? Math.min(p.frameRate(), 120) : WINDOW_FPS;
        int w = Math.max(2, p.width() & ~1);
        int h = Math.max(2, p.height() & ~1);
        int[] shown = Upright.shown(p.rotation(), w, h); // turned upright: the new file has no display matrix
        try (FFmpegFrameGrabber g = pictureOnly(video, p.videoStream()); Upright upright = new Upright(p.rotation(), w, h);
                FFmpegFrameRecorder r = new FFmpegFrameRecorder(out.toFile(), shown[0], shown[1], 0)) {
            g.setImageWidth(w);
            g.setImageHeight(h);
            g.setPixelFormat(AV_PIX_FMT_YUV420P);
            g.start();
            r.setFormat("mp4");
            r.setVideoCodecName("libopenh264");
            r.setPixelFormat(AV_PIX_FMT_YUV420P);
            r.setFrameRate(fps);
            r.setGopSize((int) Math.round(fps * 2));
            // About 0.15 bit a pixel: close to the source for a delivery file, between 1 and 20 Mbit/s.
            r.setVideoBitrate((int) Math.max(1_000_000, Math.min(20_000_000, w * (double) h * fps * 0.15)));
            r.start();
            Long base = null;
            long last = -1;
            Frame f;
            while ((f = g.grabImage()) != null) {
                base = base == null ? f.timestamp : base;
                double t = (f.timestamp - base) / 1e6;
                if (t >= seconds - 1e-6) {
                    break;
                }
                long n = Math.round(t * fps);
                if (n > last) {
                    r.setFrameNumber((int) n);
                    r.record(upright.apply(f));
                    last = n;
                }
            }
            r.stop();
        } catch (FrameGrabber.Exception | FFmpegFrameRecorder.Exception | FrameFilter.Exception e) {
            throw new UnreadableException("the video could not be decoded (" + firstLine(e) + ")");
        }
    }

    private static void muxCopy(Path video, int vi, Path audio, double seconds, Path out) throws IOException {
        AVFormatContext iv = open(video);
        AVFormatContext ia = null;
        AVFormatContext oc = new AVFormatContext(null);
        AVPacket pv = av_packet_alloc();
        AVPacket pa = av_packet_alloc();
        try {
            ia = open(audio);
            int ai = av_find_best_stream(ia, AVMEDIA_TYPE_AUDIO, -1, -1, (AVCodec) null, 0);
            if (ai < 0) {
                throw new UnreadableException("the sound track is missing");
            }
            check(avformat_alloc_output_context2(oc, null, "mp4", out.toString()), "output");
            AVStream ov = avformat_new_stream(oc, null);
            check(avcodec_parameters_copy(ov.codecpar(), iv.streams(vi).codecpar()), "video parameters");
            // HEVC as 'hvc1' (parameter sets in the header), which Apple's players need, where the source
            // has them there (MP4, MOV, Matroska); else the muxer's default.
            boolean hvc1 = ov.codecpar().codec_id() == AV_CODEC_ID_HEVC && ov.codecpar().extradata_size() > 0;
            ov.codecpar().codec_tag(hvc1 ? 'h' | 'v' << 8 | 'c' << 16 | '1' << 24 : 0);
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
