package dev.foley.provider;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a verified push notification says: which job, where it is, and the job's input when the
 * provider echoes it (null otherwise).
 */
public record JobUpdate(String jobId, JobStatus status, JsonNode input) {

    public JobUpdate(String jobId, JobStatus status) {
        this(jobId, status, null);
    }
}
