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
 * Putting a sound on a picture: the picture copied untouched when the container allows it,
 * encoded again (upright) otherwise, the sound as given, cut to {@code seconds} (split out of
 * {@link Ffmpeg}).
 */
final class FfmpegMux {

    private FfmpegMux() {
    }

    /**
     * Writes {@code out} (MP4): the picture of {@code video}, its packets copied (not re-encoded),
     * up to {@code seconds}, with the sound track of {@code audio} (copied too), interleaved by time.
     * A picture MP4 cannot carry (VP8, ProRes, H.263) is re-encoded as H.264 first, at its own size
     * and rate: the one case where it is not copied.
     */
    static void mux(Path video, Path audio, double seconds, Path out) throws IOException {
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
        try (FFmpegFrameGrabber g = FfmpegCut.pictureOnly(video, p.videoStream()); Upright upright = new Upright(p.rotation(), w, h);
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

}
