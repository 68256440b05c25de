package io.jollama.server.registry;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One progress object of {@code /api/pull} or {@code /api/push}. Like Ollama's {@code ProgressResponse} the
 * digest, total and completed are left out when empty or zero.
 */
public record Progress(String status, String digest, long total, long completed) {

    public static Progress status(String status) {
        return new Progress(status, null, 0, 0);
    }

    /** The JSON object, fields in Ollama's order, zero/empty fields omitted. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status);
        if (digest != null && !digest.isEmpty()) m.put("digest", digest);
        if (total != 0) m.put("total", total);
        if (completed != 0) m.put("completed", completed);
        return m;
    }
}
