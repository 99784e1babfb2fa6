package dev.foley.local.generator;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FLAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * Writes the result: the input video, cut to the audio's length, with the new soundtrack as AAC
 * in MP4 (the picture copied untouched when it is H.264 without sound, re-encoded to H.264 with
 * OpenH264 otherwise), or FLAC for text-to-audio.
 */
public final class MediaWriter {

    private static final int CHUNK = 4096;

    private MediaWriter() {
    }

    /** The sound a model makes: at this rate, in this many channels (two: the second a little quieter, so they differ). */
    public record Shape(int rate, int channels) {
        public static final Shape MMAUDIO = new Shape(Synth.RATE, 1);
    }

    private static final ThreadLocal<Shape> SHAPE = ThreadLocal.withInitial(() -> Shape.MMAUDIO);

    public static void writeVideo(Path input, float[] audio, double seconds, Path output) throws Exception {
        writeVideo(input, audio, seconds, output, Shape.MMAUDIO);
    }

    /** The video's picture with {@code audio} (made at {@link Synth#RATE}) as its sound, in {@code shape}. */
    public static void writeVideo(Path input, float[] audio, double seconds, Path output, Shape shape) throws Exception {
        dev.foley.media.Ffmpeg.init();
        SHAPE.set(shape);
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(input.toFile())) {
            g.start();
            if (g.getVideoCodec() == AV_CODEC_ID_H264 && !g.hasAudio()) {
                remux(g, audio, seconds, output);
            } else {
                g.stop();
                transcode(input, audio, seconds, output);
            }
        } finally {
            SHAPE.remove();
        }
    }

    private static void remux(FFmpegFrameGrabber g, float[] audio, double seconds, Path output) throws Exception {
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(output.toFile(), g.getImageWidth(), g.getImageHeight(), 1)) {
            r.setFormat("mp4");
            r.setAudioCodec(AV_CODEC_ID_AAC);
            r.setSampleRate(SHAPE.get().rate());
            r.setAudioBitrate(160_000 * SHAPE.get().channels());
            r.setAudioChannels(SHAPE.get().channels());
            r.setOption("movflags", "+faststart");
            r.start(g.getFormatContext());
            AVPacket p;
            while ((p = g.grabPacket()) != null) {
                AVStream st = g.getFormatContext().streams(p.stream_index());
                if (st.codecpar().codec_type() == AVMEDIA_TYPE_VIDEO) {
                    double t = p.pts() * st.time_base().num() / (double) st.time_base().den();
                    if (t < seconds - 1e-6) {
                        r.recordPacket(p);
                    }
                }
            }
            samples(r, audio);
            r.stop();
        }
    }

    private static void transcode(Path input, float[] audio, double seconds, Path output) throws Exception {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(input.toFile())) {
            g.start();
            int w = Math.max(2, g.getImageWidth() & ~1);
            int h = Math.max(2, g.getImageHeight() & ~1);
            try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(output.toFile(), w, h, 1)) {
                r.setFormat("mp4");
                r.setVideoCodecName("libopenh264");
                r.setPixelFormat(AV_PIX_FMT_YUV420P);
                r.setFrameRate(g.getFrameRate() > 0 ? g.getFrameRate() : 25);
                r.setVideoBitrate(Math.max(500_000, Math.min(8_000_000, w * h * 4)));
                r.setAudioCodec(AV_CODEC_ID_AAC);
                r.setSampleRate(SHAPE.get().rate());
                r.setAudioBitrate(160_000 * SHAPE.get().channels());
                r.setAudioChannels(SHAPE.get().channels());
                r.setOption("movflags", "+faststart");
                r.start();
                Frame f;
                long start = Long.MIN_VALUE;
                while ((f = g.grabImage()) != null) {
                    if (start == Long.MIN_VALUE) {
                        start = f.timestamp;
                    }
                    long t = f.timestamp - start;
                    if (t >= seconds * 1e6 - 1) {
                        break;
                    }
                    if (t > r.getTimestamp()) {
                        r.setTimestamp(t);
                    }
                    r.record(f);
                }
                samples(r, audio);
                r.stop();
            }
        }
    }

    public static void writeFlac(float[] audio, Path output) throws Exception {
        writeFlac(audio, output, Shape.MMAUDIO);
    }

    /** {@code audio} (made at {@link Synth#RATE}) as FLAC in {@code shape}. */
    public static void writeFlac(float[] audio, Path output, Shape shape) throws Exception {
        dev.foley.media.Ffmpeg.init();
        SHAPE.set(shape);
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(output.toFile(), shape.channels())) {
            r.setFormat("flac");
            r.setAudioCodec(AV_CODEC_ID_FLAC);
            r.setSampleRate(shape.rate());
            r.setAudioChannels(shape.channels());
            r.start();
            samples(r, audio);
            r.stop();
        } finally {
            SHAPE.remove();
        }
    }

    private static void samples(FFmpegFrameRecorder r, float[] audio) throws Exception {
        boolean stereo = SHAPE.get().channels() > 1;
        float[] right = null;
        if (stereo) { // the second channel a little quieter: a stereo image that a mono fold-down would lose
            right = new float[audio.length];
            for (int i = 0; i < audio.length; i++) {
                right[i] = audio[i] * 0.7f;
            }
        }
        for (int off = 0; off < audio.length; off += CHUNK) {
            int len = Math.min(CHUNK, audio.length - off);
            if (stereo) {
                r.recordSamples(Synth.RATE, 2, FloatBuffer.wrap(audio, off, len), FloatBuffer.wrap(right, off, len));
            } else {
                r.recordSamples(Synth.RATE, 1, FloatBuffer.wrap(audio, off, len));
            }
        }
        // Drain the encoder: with an input context the recorder's own flush skips audio.
        while (r.recordSamples(0, 0, (Buffer[]) null)) {
            // keep draining
        }
    }
}
