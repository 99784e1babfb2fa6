/** S3 ObjectCreated: an uploaded video becomes a prediction (issue: uploads and S3 triggers). */
package dev.foley.functions.ingest;
