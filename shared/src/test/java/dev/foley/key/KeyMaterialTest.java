package dev.foley.key;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyMaterialTest {

    @Test
    void keysCarryAtLeast160RandomBitsBehindTheirPrefix() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String k = KeyMaterial.newKey();
            assertTrue(k.startsWith("fk_"));
            byte[] raw = Base64.getUrlDecoder().decode(k.substring(3));
            assertTrue(raw.length * 8 >= 160);
            assertTrue(seen.add(k));
        }
    }

    @Test
    void hashIsSha256Hex() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", KeyMaterial.sha256Hex("abc"));
    }
}
