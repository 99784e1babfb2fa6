package dev.foley.prediction;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Cutting a video into windows: pure arithmetic on its length and the request's options. */
class WindowsTest {

    @Test
    void windowsOverlapByTheOverlapAndTheLastEndsAtTheEnd() {
        List<Windows.Window> w = Windows.plan(45, 8, 1);
        assertEquals(List.of(0.0, 7.0, 14.0, 21.0, 28.0, 35.0, 37.0), w.stream().map(Windows.Window::start).toList());
        for (int i = 0; i + 1 < w.size(); i++) {
            assertTrue(w.get(i).end() - w.get(i + 1).start() >= 1 - 1e-9, "windows " + i + " and " + (i + 1) + " overlap by at least 1 s");
        }
        assertEquals(45.0, w.get(w.size() - 1).end(), 1e-9);
        assertTrue(w.stream().allMatch(x -> x.length() == 8 && x.providerDuration() == 8));
    }

    @Test
    void coversEveryLengthAndOptionWithoutAGap() {
        for (double seconds = 0.5; seconds <= 600; seconds += 3.7) {
            for (int window = 4; window <= 10; window += 3) {
                for (double overlap : new double[] {0.5, 1.25, 2}) {
                    List<Windows.Window> w = Windows.plan(seconds, window, overlap);
                    assertEquals(0.0, w.get(0).start());
                    assertEquals(seconds, w.get(w.size() - 1).end(), 1e-6);
                    for (int i = 0; i + 1 < w.size(); i++) {
                        assertTrue(w.get(i).end() - w.get(i + 1).start() >= overlap - 1e-6, seconds + "/" + window + "/" + overlap);
                    }
                    int expected = seconds <= window ? 1 : (int) Math.ceil((seconds - window) / (window - overlap) - 1e-9) + 1;
                    assertEquals(expected, w.size());
                }
            }
        }
    }

    @Test
    void aShortVideoIsOneWindowOfItsLength() {
        List<Windows.Window> w = Windows.plan(5.3, 8, 1);
        assertEquals(1, w.size());
        assertEquals(5.3, w.get(0).length(), 1e-9);
        assertEquals(6, w.get(0).providerDuration());
    }

    @Test
    void seedsDeriveFromTheRequestsAndStayInRange() {
        assertNull(Windows.seedOf(null, 3));
        assertEquals(42, Windows.seedOf(42, 0));
        assertNotEquals(Windows.seedOf(42, 1), Windows.seedOf(42, 2));
        assertTrue(Windows.seedOf(65535, 99) >= 0 && Windows.seedOf(65535, 99) <= 65535);
    }
}
