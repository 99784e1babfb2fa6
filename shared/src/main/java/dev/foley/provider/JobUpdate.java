package dev.foley.provider;

/** What a verified push notification says: which job, and where it is. */
public record JobUpdate(String jobId, JobStatus status) {
}
