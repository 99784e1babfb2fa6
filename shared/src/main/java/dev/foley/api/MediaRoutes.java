package dev.foley.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foley.key.ApiKey;
import dev.foley.json.Json;
import dev.foley.store.UploadStore;
import dev.foley.prediction.FieldError;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hosted API's two upload forms: {@code POST /api/v3/media/uploads} (a ticket: the client
 * PUTs the bytes straight to S3; large files never pass through Lambda) and
 * {@code POST /api/v3/media/upload/binary} (multipart field {@code file}, for small files).
 */
public final class MediaRoutes {

    /** Lambda takes at most 6 MB of request; base64 makes that about 4.5 MB of file. */
    public static final int MAX_BINARY_BYTES = 4_500_000;

    private final UploadStore uploads;
    private final long maxBytes;

    public MediaRoutes(UploadStore uploads, long maxBytes) {
        this.uploads = uploads;
        this.maxBytes = maxBytes;
    }

    ApiResponse ticket(ApiRequest req, ApiKey key) throws ApiException {
        List<FieldError> errors = new ArrayList<>();
        ObjectNode n = JsonBody.object(req, 8192, "{filename, size, content_type}", java.util.Set.of("filename", "size", "content_type"),
                false, errors);
        String filename = n.path("filename").isTextual() ? n.get("filename").asText() : null;
        if (filename == null || filename.isBlank() || filename.length() > 255) {
            errors.add(new FieldError("filename", "required: a file name of at most 255 characters"));
        }
        long size = -1;
        Long sz = JsonBody.integer(n.get("size"), "size", 1, maxBytes, " bytes", "required: the file's size in bytes, a positive integer", errors);
        if (sz != null) {
            size = sz;
        }
        String type = n.hasNonNull("content_type") ? n.get("content_type").asText("") : guess(filename);
        if (!n.path("content_type").isMissingNode() && !n.path("content_type").isNull()
                && (!n.get("content_type").isTextual() || !type.matches(MIME))) {
            errors.add(new FieldError("content_type", "must be a MIME type like video/mp4"));
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        UploadStore.Ticket t = uploads.ticket(key.keyId(), filename, size, type);
        ObjectNode d = Json.object();
        ObjectNode up = d.putObject("upload");
        up.put("method", "PUT");
        up.put("url", t.url());
        ObjectNode h = up.putObject("headers");
        t.headers().forEach(h::put);
        d.put("download_url", t.downloadUrl());
        return FoleyApi.ok(d);
    }

    private static final String MIME = "[a-zA-Z0-9.+-]+/[a-zA-Z0-9.+-]+";

    ApiResponse binary(ApiRequest req, ApiKey key) throws ApiException {
        byte[] body = req.body() == null ? new byte[0] : req.body();
        if (body.length > MAX_BINARY_BYTES) {
            throw new ApiException(413, "file: too large for a direct upload (at most " + MAX_BINARY_BYTES
                    + " bytes); ask for an upload ticket with POST /api/v3/media/uploads and PUT the file to S3");
        }
        String type = req.header("content-type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new ApiException(415, "Content-Type must be multipart/form-data with a field named file");
        }
        Multipart.Part file;
        try {
            file = Multipart.parse(type, body).stream().filter(p -> "file".equals(p.name())).findFirst()
                    .orElseThrow(() -> new Multipart.MalformedException("no field named file"));
        } catch (Multipart.MalformedException e) {
            throw ApiException.invalid(List.of(new FieldError("file", e.getMessage())));
        }
        if (file.data().length == 0) {
            throw ApiException.invalid(List.of(new FieldError("file", "is empty")));
        }
        String filename = file.filename() == null || file.filename().isBlank() ? "upload" : file.filename();
        if (filename.length() > 255) {
            throw ApiException.invalid(List.of(new FieldError("filename", "must be at most 255 characters, as on an upload ticket, got "
                    + filename.length())));
        }
        String ct = file.contentType() == null ? guess(filename) : file.contentType().split(";", 2)[0].strip();
        if (!ct.matches(MIME)) {
            throw ApiException.invalid(List.of(new FieldError("file", "its Content-Type must be a MIME type like video/mp4")));
        }
        String url = uploads.putBytes(key.keyId(), filename, file.data(), ct);
        ObjectNode d = Json.object();
        d.put("type", UploadStore.mediaType(ct));
        d.put("download_url", url);
        d.put("filename", filename);
        d.put("size", file.data().length);
        return FoleyApi.ok(d);
    }

    static String guess(String filename) {
        String f = filename == null ? "" : filename.toLowerCase(Locale.ROOT);
        if (f.endsWith(".mp4") || f.endsWith(".m4v")) {
            return "video/mp4";
        }
        if (f.endsWith(".mov")) {
            return "video/quicktime";
        }
        if (f.endsWith(".webm")) {
            return "video/webm";
        }
        if (f.endsWith(".mkv")) {
            return "video/x-matroska";
        }
        if (f.endsWith(".png")) {
            return "image/png";
        }
        if (f.endsWith(".jpg") || f.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        if (f.endsWith(".wav")) {
            return "audio/wav";
        }
        if (f.endsWith(".flac")) {
            return "audio/flac";
        }
        if (f.endsWith(".mp3")) {
            return "audio/mpeg";
        }
        return "application/octet-stream";
    }
}
