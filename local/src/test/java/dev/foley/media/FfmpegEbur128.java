package dev.foley.media;

import static org.bytedeco.ffmpeg.global.avfilter.*;
import static org.bytedeco.ffmpeg.global.avutil.*;

import org.bytedeco.ffmpeg.avfilter.AVFilterContext;
import org.bytedeco.ffmpeg.avfilter.AVFilterGraph;
import org.bytedeco.ffmpeg.avutil.AVDictionaryEntry;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The independent measure for the tests: FFmpeg's own {@code ebur128} filter (the stock build the
 * tests load, not Foley's code), fed the same samples through a filter graph, its integrated
 * loudness, loudness range and true peak read from the metadata it sets on its last frame.
 */
public final class FfmpegEbur128 {

    public record Reading(double integratedLufs, double rangeLu, double truePeakDbtp) {
    }

    private FfmpegEbur128() {
    }

    public static Reading measure(float[] mono, int rate) {
        Ffmpeg.init();
        AVFilterGraph graph = avfilter_graph_alloc();
        try {
            AVFilterContext src = new AVFilterContext(null);
            AVFilterContext eb = new AVFilterContext(null);
            AVFilterContext sink = new AVFilterContext(null);
            String args = "time_base=1/" + rate + ":sample_rate=" + rate + ":sample_fmt=flt:channel_layout=mono";
            check(avfilter_graph_create_filter(src, avfilter_get_by_name("abuffer"), "in", args, null, graph), "abuffer");
            check(avfilter_graph_create_filter(eb, avfilter_get_by_name("ebur128"), "r128", "peak=true:metadata=1", null, graph),
                    "ebur128");
            check(avfilter_graph_create_filter(sink, avfilter_get_by_name("abuffersink"), "out", null, null, graph), "abuffersink");
            check(avfilter_link(src, 0, eb, 0), "link");
            check(avfilter_link(eb, 0, sink, 0), "link");
            check(avfilter_graph_config(graph, null), "config");
            Reading last = new Reading(Double.NaN, Double.NaN, Double.NaN);
            int chunk = 4096;
            AVFrame out = av_frame_alloc();
            for (int pos = 0; pos <= mono.length; pos += chunk) {
                int n = Math.min(chunk, mono.length - pos);
                if (n > 0) {
                    AVFrame f = av_frame_alloc();
                    f.nb_samples(n);
                    f.format(AV_SAMPLE_FMT_FLT);
                    f.sample_rate(rate);
                    av_channel_layout_default(f.ch_layout(), 1);
                    check(av_frame_get_buffer(f, 0), "buffer");
                    new FloatPointer(f.data(0)).put(mono, pos, n);
                    f.pts(pos);
                    check(av_buffersrc_add_frame(src, f), "push");
                    av_frame_free(f);
                } else {
                    check(av_buffersrc_add_frame(src, null), "flush");
                }
                while (av_buffersink_get_frame(sink, out) >= 0) {
                    last = new Reading(meta(out, "lavfi.r128.I", last.integratedLufs()), meta(out, "lavfi.r128.LRA", last.rangeLu()),
                            peakDb(meta(out, "lavfi.r128.true_peaks_ch0", Double.NaN), last.truePeakDbtp()));
                    av_frame_unref(out);
                }
            }
            av_frame_free(out);
            return last;
        } finally {
            avfilter_graph_free(graph);
        }
    }

    /** The filter's true-peak metadata is linear (FFmpeg's f_ebur128.c); in dBTP here. */
    private static double peakDb(double linear, double otherwise) {
        return Double.isNaN(linear) ? otherwise : 20 * Math.log10(linear);
    }

    private static double meta(AVFrame f, String key, double otherwise) {
        AVDictionaryEntry e = av_dict_get(f.metadata(), key, null, 0);
        return e == null ? otherwise : Double.parseDouble(e.value().getString());
    }

    private static void check(int ret, String what) {
        if (ret < 0) {
            throw new IllegalStateException("ffmpeg " + what + " failed: " + ret);
        }
    }
}
