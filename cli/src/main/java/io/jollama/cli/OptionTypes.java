package io.jollama.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Modelfile/REPL parameter values typed by option, as ollama's client types them (spec §5.5). */
final class OptionTypes {

    private OptionTypes() {}

    private static final Set<String> INTS = Set.of("num_keep", "seed", "num_predict", "top_k", "repeat_last_n", "num_ctx",
            "num_batch", "num_gpu", "main_gpu", "num_thread");
    private static final Set<String> FLOATS = Set.of("temperature", "top_p", "min_p", "typical_p", "repeat_penalty",
            "presence_penalty", "frequency_penalty");
    private static final Set<String> BOOLS = Set.of("numa", "use_mmap");
    static final Set<String> DEPRECATED = Set.of("penalize_newline", "low_vram", "f16_kv", "logits_all",
            "vocab_only", "use_mlock", "mirostat", "mirostat_tau", "mirostat_eta");

    /** Puts {@code key}'s values into {@code params} (a {@code stop} list accumulates); throws with ollama's message. */
    @SuppressWarnings("unchecked")
    static void put(Map<String, Object> params, String key, List<String> values) {
        if (key.equals("stop")) {
            ((List<Object>) params.computeIfAbsent("stop", k -> new ArrayList<>())).addAll(values);
            return;
        }
        String v = values.getFirst().strip();
        if (INTS.contains(key)) {
            try {
                params.put(key, Long.parseLong(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid int value [" + v + "]");
            }
        } else if (FLOATS.contains(key)) {
            try {
                params.put(key, Float.parseFloat(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid float value [" + v + "]");
            }
        } else if (BOOLS.contains(key)) {
            switch (v) {
                case "1", "t", "T", "TRUE", "true", "True" -> params.put(key, true);
                case "0", "f", "F", "FALSE", "false", "False" -> params.put(key, false);
                default -> throw new IllegalArgumentException("invalid bool value [" + v + "]");
            }
        } else {
            throw new IllegalArgumentException("unknown parameter '" + key + "'");
        }
    }
}
