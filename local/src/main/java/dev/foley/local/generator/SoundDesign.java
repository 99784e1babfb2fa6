package dev.foley.local.generator;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a sound designer's prompt into ingredients: beds (a texture under everything) and the
 * material of the hits placed at motion peaks. Words of the negative prompt take their
 * ingredients out again. A plain keyword reading, not language understanding.
 */
public record SoundDesign(Set<Bed> beds, Hit hit) {

    /** Continuous textures. */
    public enum Bed { RAIN, WIND, FIRE, WATER, OCEAN, ENGINE, CROWD, BIRDS, THUNDER, ROOM }

    /** The sound of one impact. */
    public enum Hit { WOOD, METAL, GLASS, FOOTSTEP, SPLASH, SOFT }

    private static final Map<String, Bed> BED_WORDS = new LinkedHashMap<>();
    private static final Map<String, Hit> HIT_WORDS = new LinkedHashMap<>();

    static {
        words(BED_WORDS, Bed.RAIN, "rain", "raining", "rainy", "drizzle", "downpour", "storm", "drops", "droplets");
        words(BED_WORDS, Bed.WIND, "wind", "windy", "breeze", "gust", "gusts", "howling", "blizzard");
        words(BED_WORDS, Bed.FIRE, "fire", "fireplace", "campfire", "crackling", "crackle", "flames", "burning", "embers");
        words(BED_WORDS, Bed.WATER, "water", "stream", "river", "brook", "creek", "fountain", "bubbling", "pouring", "faucet");
        words(BED_WORDS, Bed.OCEAN, "ocean", "sea", "waves", "surf", "beach", "shore");
        words(BED_WORDS, Bed.ENGINE, "engine", "car", "traffic", "motor", "truck", "train", "machine", "machinery", "hum");
        words(BED_WORDS, Bed.CROWD, "crowd", "people", "chatter", "cafe", "restaurant", "market", "city", "street");
        words(BED_WORDS, Bed.BIRDS, "bird", "birds", "birdsong", "chirping", "forest", "morning");
        words(BED_WORDS, Bed.THUNDER, "thunder", "thunderstorm", "rumble", "rumbling");
        words(HIT_WORDS, Hit.METAL, "metal", "metallic", "clang", "steel", "iron", "bell", "anvil", "hammer", "pan", "pot");
        words(HIT_WORDS, Hit.GLASS, "glass", "ceramic", "porcelain", "shatter", "shatters", "clink", "cup", "bottle");
        words(HIT_WORDS, Hit.FOOTSTEP, "footsteps", "footstep", "steps", "walking", "running", "gravel", "stomp", "boots");
        words(HIT_WORDS, Hit.SPLASH, "splash", "splashing", "puddle", "dive", "diving");
        words(HIT_WORDS, Hit.WOOD, "wood", "wooden", "knock", "knocking", "door", "table", "floor", "ball", "bounce",
                "bounces", "bouncing", "thud", "drum", "hit", "hits", "impact", "punch");
        words(HIT_WORDS, Hit.SOFT, "soft", "pillow", "cloth", "fabric", "snow", "sand", "grass");
    }

    private static <T> void words(Map<String, T> map, T value, String... ws) {
        for (String w : ws) {
            map.put(w, value);
        }
    }

    public static SoundDesign of(String prompt, String negative) {
        List<String> pos = tokens(prompt);
        Set<String> neg = Set.copyOf(tokens(negative));
        EnumSet<Bed> beds = EnumSet.noneOf(Bed.class);
        EnumSet<Bed> removedBeds = EnumSet.noneOf(Bed.class);
        EnumSet<Hit> removedHits = EnumSet.noneOf(Hit.class);
        for (String w : neg) {
            if (BED_WORDS.containsKey(w)) {
                removedBeds.add(BED_WORDS.get(w));
            }
            if (HIT_WORDS.containsKey(w)) {
                removedHits.add(HIT_WORDS.get(w));
            }
        }
        Hit hit = null;
        for (String w : pos) {
            if (neg.contains(w)) {
                continue;
            }
            Bed b = BED_WORDS.get(w);
            if (b != null && !removedBeds.contains(b)) {
                beds.add(b);
            }
            Hit h = HIT_WORDS.get(w);
            if (hit == null && h != null && !removedHits.contains(h)) {
                hit = h; // the first material named leads
            }
        }
        if (beds.isEmpty()) {
            beds.add(Bed.ROOM);
        }
        return new SoundDesign(beds, hit == null ? (removedHits.contains(Hit.WOOD) ? Hit.SOFT : Hit.WOOD) : hit);
    }

    static List<String> tokens(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        return List.of(text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")).stream().filter(s -> !s.isEmpty()).toList();
    }
}
