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
 * What a file holds, read from its container and stream headers (and, where the headers cannot be
 * trusted, its packets): streams, codecs, size, rotation, the picture's true length; and what this
 * FFmpeg build can do (split out of {@link Ffmpeg}).
 */
final class FfmpegProbe {

    private FfmpegProbe() {
    }

    /**
     * The same; without {@code measure} the picture's length is what its headers say (no pass over
     * the packets): for a caller that only needs the streams and codecs (decoding the sound).
     */
    static Ffmpeg.Probe probe(Path file, boolean measure) throws UnreadableException {
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
    static int rotation(AVStream v) {
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
    static final class Upright implements AutoCloseable {
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

    static String codecName(int id) {
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

}
