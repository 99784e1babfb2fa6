package dev.foley.api;

import java.util.Optional;

/** The base of absolute URLs handed to clients: configured, or the one the client called. */
final class BaseUrl {

    private BaseUrl() {
    }

    static String of(ApiRequest req, Optional<String> configured) {
        if (configured.isPresent()) {
            return configured.get();
        }
        String proto = "http".equals(req.header("x-forwarded-proto")) ? "http" : "https";
        String host = req.header("host");
        if (host == null || !host.matches("[A-Za-z0-9.:\\-\\[\\]]{1,255}")) {
            host = req.domainName() == null ? "localhost" : req.domainName();
        }
        return proto + "://" + host;
    }
}
