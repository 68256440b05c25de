package io.jollama.server.gotemplate;

import java.util.List;

/**
 * A JSON-schema property as Ollama's template function {@code toTypeScriptType} reads it (its {@code api.ToolProperty}):
 * the alternatives of {@code anyOf}, else the type names.
 */
public interface SchemaProperty {
    List<?> anyOf();

    List<String> types();
}
