package dev.foley.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One parameter of a model, as its hosted API names it: its JSON type, whether it is required,
 * its range and default, and what it does. The validator checks a request against these, the
 * model list shows them, and the OpenAPI document is tested against them.
 *
 * @param name        the field's name in the request body
 * @param type        its JSON type
 * @param required    whether a request without it is refused
 * @param min         the least value (numbers; the least length for text), or null
 * @param max         the most value (numbers; the most length for text), or null
 * @param defaultValue the value when absent (null: none, or "random" for a seed)
 * @param description what it does, for people
 */
public record Param(String name, Type type, boolean required, Double min, Double max, Object defaultValue, String description) {

    /** JSON types, as JSON Schema names them; URL is a string that must be an http(s) URL. */
    public enum Type {
        INTEGER("integer"), NUMBER("number"), BOOLEAN("boolean"), STRING("string"), URL("string");

        private final String json;

        Type(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    public static Param integer(String name, int min, int max, Integer dflt, String description) {
        return new Param(name, Type.INTEGER, false, (double) min, (double) max, dflt, description);
    }

    public static Param number(String name, double min, double max, Double dflt, String description) {
        return new Param(name, Type.NUMBER, false, min, max, dflt, description);
    }

    public static Param bool(String name, boolean dflt, String description) {
        return new Param(name, Type.BOOLEAN, false, null, null, dflt, description);
    }

    public static Param text(String name, boolean required, int maxChars, String description) {
        return new Param(name, Type.STRING, required, null, (double) maxChars, required ? null : "", description);
    }

    public static Param url(String name, String description) {
        return new Param(name, Type.URL, true, null, null, null, description);
    }

    /** The same parameter with another range and default (a model path that narrows or widens it). */
    public Param withRange(double min, double max, Object dflt, String description) {
        return new Param(name, type, required, min, max, dflt, description);
    }

    /** The least as an int (integer parameters). */
    public int minInt() {
        return (int) Math.round(min);
    }

    /** The most as an int (integer parameters). */
    public int maxInt() {
        return (int) Math.round(max);
    }

    /** {@code {name, type, required, minimum?, maximum?, default?, description}}, as the model list shows it. */
    public ObjectNode json() {
        ObjectNode n = dev.foley.json.Json.object().put("name", name).put("type", type.json()).put("required", required);
        if (type == Type.URL) {
            n.put("format", "uri");
        }
        if (type == Type.INTEGER && min != null) {
            n.put("minimum", minInt()).put("maximum", maxInt());
        } else if (type == Type.NUMBER && min != null) {
            n.put("minimum", min).put("maximum", max);
        } else if (type == Type.STRING && max != null) {
            n.put("max_length", max.intValue());
        }
        switch (defaultValue) {
            case null -> { }
            case Integer i -> n.put("default", i);
            case Double d -> n.put("default", d);
            case Boolean b -> n.put("default", b);
            default -> n.put("default", defaultValue.toString());
        }
        return n.put("description", description);
    }
}
