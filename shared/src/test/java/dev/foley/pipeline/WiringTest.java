package dev.foley.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The pipeline is given everything it hands work to when it is built: final fields, no setters after. */
class WiringTest {

    @Test
    void everyFieldOfThePipelineIsFinalAndNoMethodRewiresIt() {
        for (Field f : Pipeline.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers())) {
                assertTrue(Modifier.isFinal(f.getModifiers()), "Pipeline." + f.getName() + " is set after construction");
            }
        }
        var rewiring = Arrays.stream(Pipeline.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && m.getReturnType() == Pipeline.class).map(m -> m.getName()).toList();
        assertEquals(java.util.List.of(), rewiring, "a method that returns the pipeline itself is a setter in disguise");
    }

    @Test
    void theIngestSideTheMediaFunctionAndTheWiringNeedNoPipelineBeforeItIsBuilt() throws Exception {
        // The result files the pipeline writes are their own part: the ingest (which needs the pipeline, through admission) is not one.
        for (Field f : dev.foley.ingest.IngestResults.class.getDeclaredFields()) {
            assertNotEquals(dev.foley.admission.Admission.class, f.getType());
            assertNotEquals(Pipeline.class, f.getType());
        }
    }
}
