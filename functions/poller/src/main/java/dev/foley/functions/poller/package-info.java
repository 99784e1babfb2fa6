/** EventBridge-scheduled clock: due provider checks, retries, timeouts (issue: the pipeline). */
package dev.foley.functions.poller;
