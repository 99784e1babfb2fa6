package dev.foley.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.foley.media.Ffmpeg;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.javacpp.PointerPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Phones film HEVC. Its picture is copied into the result, tagged {@code hvc1} (parameter sets in
 * the sample description), which Apple's players require; FFmpeg's MP4 muxer would write
 * {@code hev1} for a clip tagged so. The clip (test resources, made with x265) is tagged {@code hev1}.
 */
class HevcResultTest {

    @TempDir
    Path dir;

    @Test
    void anHevcPictureIsCopiedAsHvc1() throws Exception {
        Path clip = Files.copy(Moto.projectRoot().resolve("local/src/test/resources/media/hevc-2s.mov"), dir.resolve("clip.mov"));
        assertEquals("hev1", tag(clip), "the clip is tagged hev1");
        Ffmpeg.encode(new float[Ffmpeg.RATE * 2], Ffmpeg.RATE, "m4a", dir.resolve("sound.m4a"));
        Ffmpeg.mux(clip, dir.resolve("sound.m4a"), 2.0, dir.resolve("result.mp4"));
        Ffmpeg.Probe p = Ffmpeg.probe(dir.resolve("result.mp4"));
        assertEquals("hevc", p.videoCodec(), "the picture copied");
        assertEquals(2.0, p.seconds(), 0.05);
        assertEquals("hvc1", tag(dir.resolve("result.mp4")));
        assertEquals(2.0, Ffmpeg.audio(clip, Ffmpeg.RATE).length / (double) Ffmpeg.RATE, 0.05, "its own sound decodes too");
    }

    /** The picture's codec tag as its four characters. */
    private static String tag(Path file) throws Exception {
        AVFormatContext ctx = new AVFormatContext(null);
        assertEquals(0, avformat.avformat_open_input(ctx, file.toString(), null, null));
        try {
            avformat.avformat_find_stream_info(ctx, (PointerPointer<?>) null);
            int t = ctx.streams(0).codecpar().codec_tag();
            return new String(new char[] {(char) (t & 0xff), (char) (t >> 8 & 0xff), (char) (t >> 16 & 0xff), (char) (t >>> 24)});
        } finally {
            avformat.avformat_close_input(ctx);
        }
    }
}
