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

import static dev.foley.media.Ffmpeg.*;
import static dev.foley.media.FfmpegProbe.*;

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
 * Cutting a long video into the windows sent to the provider: each window's picture, upright,
 * scaled to the model's short side and frame rate, encoded as a small H.264 clip, in one pass
 * over the source per range of windows (split out of {@link Ffmpeg}).
 */
final class FfmpegCut {

    private FfmpegCut() {
    }

    /**
     * Cuts {@code source} into the windows of {@code plan}, each re-encoded small (short side at most
     * {@link #WINDOW_SHORT_SIDE}, at most {@link #WINDOW_FPS} fps, H.264, no sound), in two decoding
     * passes at once over the two halves: a frame inside two overlapping windows goes to both.
     * Each finished window is handed to {@code done} (from either thread; it may then delete it); at
     * most two windows are open in each pass.
     */
    static void cut(Path source, List<Windows.Window> plan, Path dir, WindowSink done) throws IOException {
        cut(source, probe(source), plan, dir, done);
    }

    /** The same, for a source already probed (so it is not opened once more to be measured). */
    static void cut(Path source, Probe p, List<Windows.Window> plan, Path dir, WindowSink done) throws IOException {
        checkPicture(p);
        int[] size = windowSize(p);
        int w = size[0];
        int h = size[1];
        double fps = windowFps(p);
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

    /** A picture the split can read, or why not. */
    static void checkPicture(Probe p) throws UnreadableException {
        init();
        if (!p.hasVideo()) {
            throw new UnreadableException("the file has no video stream");
        }
        if (!VIDEO_CODECS.contains(p.videoCodec())) {
            throw new UnreadableException(notRead("picture", p.videoCodec(), VIDEO_CODECS));
        }
    }

    /** The windows' picture size as decoded (before turning upright): the short side at most {@link #WINDOW_SHORT_SIDE}, even. */
    static int[] windowSize(Probe p) {
        double scale = Math.min(1.0, WINDOW_SHORT_SIDE / (double) Math.min(p.width(), p.height()));
        return new int[] {Math.max(2, (int) Math.round(p.width() * scale / 2) * 2), Math.max(2, (int) Math.round(p.height() * scale / 2) * 2)};
    }

    /** The windows' frame rate: at most 25 fps; a slower video keeps its own rate, so every frame keeps its exact time. */
    static double windowFps(Probe p) {
        return p.frameRate() > 0 && p.frameRate() <= WINDOW_FPS ? p.frameRate() : WINDOW_FPS;
    }

    /** The timestamp (µs) of the video's first frame, or null when none can be decoded. */
    static Long firstFrameTime(Path source, int stream) throws UnreadableException {
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
            if (from > 0 || plan.get(from).start() > 1) { // a regenerate's windows start well into the video: no decode up to them
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
    static FFmpegFrameGrabber pictureOnly(Path source, int stream) {
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(source.toFile());
        g.setVideoStream(stream);
        g.setAudioStream(Integer.MAX_VALUE); // no such stream: no sound opened
        return g;
    }

    private static void finish(FFmpegFrameRecorder[] open, int i, Path dir, WindowSink done, List<Windows.Window> plan)
            throws IOException {
        if (open[i] == null) {
            throw noFrames(i, plan.get(i));
        }
        open[i].stop();
        open[i].release();
        open[i] = null;
        done.accept(i, dir.resolve("in-" + i + ".mp4"));
    }

    /** Window {@code i} got no frame: why, as the user is told. */
    static UnreadableException noFrames(int i, Windows.Window w) {
        return new UnreadableException(i == 0 ? "no frame could be decoded (a truncated or corrupt file)"
                : String.format(java.util.Locale.ROOT, "it has no frames from %.1f s to %.1f s (a truncated file?)", w.start(), w.end()));
    }

    static FFmpegFrameRecorder windowRecorder(Path file, int w, int h, double fps) throws FFmpegFrameRecorder.Exception {
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

}
