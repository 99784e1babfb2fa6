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
    static final int CHUNK = 4096;
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

    /** The same; without {@code measure} the picture's length is what its headers say: see {@link FfmpegProbe#probe}. */
    static Probe probe(Path file, boolean measure) throws UnreadableException {
        return FfmpegProbe.probe(file, measure);
    }

    /** What this FFmpeg build lacks of what Foley needs (empty: nothing): see {@link FfmpegProbe#missing}. */
    public static List<String> missing() {
        return FfmpegProbe.missing();
    }

    /**
     * The windows of {@code r} over {@code seconds} of {@code source}, following its shots, cut in
     * one decode that also finds the cuts ({@link FollowingCut}): the cuts found.
     */
    public static List<Double> cutFollowingShots(Path source, Probe p, dev.foley.prediction.PredictionRequest r, double seconds, Path dir,
            WindowSink done) throws IOException {
        return FollowingCut.cut(source, p, r, seconds, dir, done).cuts();
    }

    /** The shot cuts in the first {@code seconds} of {@code source}'s picture ({@link SceneCuts}). */
    public static List<Double> sceneCuts(Path source, Probe p, double seconds) throws UnreadableException {
        return SceneCuts.of(source, p, seconds);
    }

    /** The shot cuts in {@code [from, to]} of {@code source}'s picture (decoding from the keyframe before {@code from}). */
    public static List<Double> sceneCuts(Path source, Probe p, double from, double to) throws UnreadableException {
        return SceneCuts.of(source, p, from, to);
    }

    /** Cuts the windows of {@code plan} out of {@code source}: see {@link FfmpegCut#cut}. */
    public static void cut(Path source, List<Windows.Window> plan, Path dir, WindowSink done) throws IOException {
        FfmpegCut.cut(source, plan, dir, done);
    }

    /** The same with the source already probed. */
    public static void cut(Path source, Probe p, List<Windows.Window> plan, Path dir, WindowSink done) throws IOException {
        FfmpegCut.cut(source, p, plan, dir, done);
    }

    /** Puts {@code audio} on {@code video}'s picture: see {@link FfmpegMux#mux}. */
    public static void mux(Path video, Path audio, double seconds, Path out) throws IOException {
        FfmpegMux.mux(video, audio, seconds, out);
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

    static AVFormatContext open(Path file) throws UnreadableException {
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

    static void check(int ret, String what) throws IOException {
        if (ret < 0) {
            throw new IOException("FFmpeg failed writing the result (" + what + ", error " + ret + ")");
        }
    }

    static void closeQuietly(FFmpegFrameRecorder r) {
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
