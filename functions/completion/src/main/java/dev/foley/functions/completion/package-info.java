/** Copies outputs to S3, settles usage, sends webhooks (issue: the pipeline). */
package dev.foley.functions.completion;
