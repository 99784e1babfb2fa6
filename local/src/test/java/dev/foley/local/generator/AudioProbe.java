package dev.foley.local.generator;

import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/**
 * An ffprobe-style look at a result through the same library: its streams, its audio decoded to
 * mono samples, and the onsets an energy-rise detector finds in them.
 */
public record AudioProbe(boolean hasVideo, String videoCodec, String audioCodec, int sampleRate, float[] samples,
        double videoSeconds) {

    public double audioSeconds() {
        return samples.length / (double) sampleRate;
    }

    public static AudioProbe of(Path file) throws Exception {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setSampleFormat(org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT);
            g.start();
            List<float[]> chunks = new ArrayList<>();
            int total = 0;
            Frame f;
            while ((f = g.grabSamples()) != null) {
                Buffer b = f.samples[0];
                int ch = f.audioChannels;
                float[] mono;
                if (b instanceof FloatBuffer fb) {
                    float[] all = new float[fb.remaining()];
                    fb.get(all);
                    mono = new float[all.length / ch];
                    for (int i = 0; i < mono.length; i++) {
                        mono[i] = all[i * ch];
                    }
                } else {
                    ShortBuffer sb = (ShortBuffer) b;
                    mono = new float[sb.remaining() / ch];
                    for (int i = 0; i < mono.length; i++) {
                        mono[i] = sb.get(i * ch) / 32768f;
                    }
                }
                chunks.add(mono);
                total += mono.length;
            }
            float[] all = new float[total];
            int off = 0;
            for (float[] c : chunks) {
                System.arraycopy(c, 0, all, off, c.length);
                off += c.length;
            }
            return new AudioProbe(g.hasVideo(), g.hasVideo() ? g.getVideoCodecName() : null,
                    g.hasAudio() ? g.getAudioCodecName() : null, g.getSampleRate(), all, g.getLengthInTime() / 1e6);
        }
    }

    /**
     * Onsets: 5 ms frames of the first-differenced signal (a high-pass: attacks, not rumble) whose
     * level rose 12 dB over the last 40 ms, within 25 dB of the loudest, 150 ms apart.
     */
    public List<Double> onsets() {
        int hop = sampleRate / 200;
        int frames = samples.length / hop;
        double[] level = new double[frames];
        double max = -200;
        for (int k = 0; k < frames; k++) {
            double e = 0;
            for (int i = Math.max(1, k * hop); i < (k + 1) * hop; i++) {
                double d = samples[i] - samples[i - 1];
                e += d * d;
            }
            level[k] = 10 * Math.log10(e / hop + 1e-12);
            max = Math.max(max, level[k]);
        }
        List<Double> out = new ArrayList<>();
        double last = -1;
        for (int k = 8; k < frames; k++) {
            double before = Double.MAX_VALUE;
            for (int j = k - 8; j < k; j++) {
                before = Math.min(before, level[j]);
            }
            double t = k * hop / (double) sampleRate;
            if (level[k] - before > 12 && level[k] > max - 25 && (last < 0 || t - last > 0.15)) {
                out.add(t);
                last = t;
            }
        }
        return out;
    }
}
