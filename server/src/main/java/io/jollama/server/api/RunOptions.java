package io.jollama.server.api;

import io.jollama.engine.sample.SamplerOptions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The effective options of one request (spec §7.1): Ollama's defaults, overridden by the model's PARAMETERs, overridden
 * by the request's {@code options}. Integer options accept any JSON number (fraction dropped), float options need a
 * number, booleans a boolean, {@code stop} an array of strings; a wrong type is an error with Ollama's wording
 * (status 500, as Ollama answers). Unknown keys are ignored.
 */
public record RunOptions(int numCtx, int numBatch, Boolean useMmap, int numKeep, int numPredict,
                         List<String> stop, SamplerOptions sampler) {

    private enum Kind { INT, FLOAT, BOOL, STRINGS }

    private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

    static {
        for (String k : List.of("num_ctx", "num_batch", "num_gpu", "main_gpu", "num_thread", "num_keep", "seed", "num_predict",
                "top_k", "repeat_last_n", "draft_num_predict")) KINDS.put(k, Kind.INT);
        for (String k : List.of("temperature", "top_p", "min_p", "typical_p", "repeat_penalty", "presence_penalty",
                "frequency_penalty")) KINDS.put(k, Kind.FLOAT);
        KINDS.put("use_mmap", Kind.BOOL);
        KINDS.put("stop", Kind.STRINGS);
    }

    /** A wrongly typed option value. */
    public static final class OptionException extends RuntimeException {
        public OptionException(String message) {
            super(message);
        }
    }

    /**
     * @param defaultNumCtx the server's default context (OLLAMA_CONTEXT_LENGTH or 4096)
     * @param trainCtx      the model's training context ({@code <arch>.context_length}); 0 if unknown
     */
    public static RunOptions resolve(Map<String, Object> modelParams, Map<String, Object> requestOptions, int defaultNumCtx, int trainCtx) {
        Map<String, Object> merged = new LinkedHashMap<>();
        if (modelParams != null) merged.putAll(modelParams);
        if (requestOptions != null) merged.putAll(requestOptions);
        for (var e : merged.entrySet()) check(e.getKey(), e.getValue());

        int numCtx = intOf(merged, "num_ctx", defaultNumCtx);
        if (trainCtx > 0) numCtx = Math.min(numCtx, trainCtx);
        numCtx = Math.max(4, numCtx);
        SamplerOptions d = SamplerOptions.DEFAULTS;
        SamplerOptions sampler = new SamplerOptions(
                floatOf(merged, "temperature", d.temperature()),
                intOf(merged, "top_k", d.topK()),
                floatOf(merged, "top_p", d.topP()),
                floatOf(merged, "min_p", d.minP()),
                floatOf(merged, "typical_p", d.typicalP()),
                intOf(merged, "repeat_last_n", d.repeatLastN()),
                floatOf(merged, "repeat_penalty", d.repeatPenalty()),
                floatOf(merged, "presence_penalty", d.presencePenalty()),
                floatOf(merged, "frequency_penalty", d.frequencyPenalty()),
                intOf(merged, "seed", -1));
        List<String> stop = new ArrayList<>();
        if (merged.get("stop") instanceof List<?> l) for (Object o : l) stop.add((String) o);
        Boolean mmap = merged.get("use_mmap") instanceof Boolean b ? b : null;
        return new RunOptions(numCtx, Math.max(1, intOf(merged, "num_batch", 512)), mmap,
                intOf(merged, "num_keep", 4), intOf(merged, "num_predict", -1), List.copyOf(stop), sampler);
    }

    private static void check(String key, Object v) {
        Kind kind = KINDS.get(key);
        if (kind == null || v == null) return;
        switch (kind) {
            case INT -> { if (!(v instanceof Number)) throw new OptionException("option \"" + key + "\" must be of type integer"); }
            case FLOAT -> { if (!(v instanceof Number)) throw new OptionException("option \"" + key + "\" must be of type float32"); }
            case BOOL -> { if (!(v instanceof Boolean)) throw new OptionException("option \"" + key + "\" must be of type boolean"); }
            case STRINGS -> {
                if (!(v instanceof List<?> l)) throw new OptionException("option \"" + key + "\" must be of type array");
                for (Object o : l) if (!(o instanceof String)) throw new OptionException("option \"" + key + "\" must be of an array of strings");
            }
        }
    }

    private static int intOf(Map<String, Object> m, String key, int fallback) {
        return m.get(key) instanceof Number n ? (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, n.doubleValue())) : fallback;
    }

    private static float floatOf(Map<String, Object> m, String key, float fallback) {
        return m.get(key) instanceof Number n ? n.floatValue() : fallback;
    }
}
