package io.jollama.server.create;


import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a parsed Modelfile into create-request fields, as Ollama's client does (spec §5.5), for the older
 * {@code modelfile} field of {@code /api/create}: parameters typed by option, unknown ones rejected.
 */
final class ModelfileRequest {

    private ModelfileRequest() {}

    private static final Set<String> INTS = Set.of("num_keep", "seed", "num_predict", "top_k", "repeat_last_n", "num_ctx",
            "num_batch", "num_gpu", "main_gpu", "num_thread", "num_gqa");
    private static final Set<String> FLOATS = Set.of("temperature", "top_p", "min_p", "typical_p", "repeat_penalty",
            "presence_penalty", "frequency_penalty", "tfs_z");
    private static final Set<String> BOOLS = Set.of("numa", "use_mmap");
    private static final Set<String> DEPRECATED = Set.of("penalize_newline", "low_vram", "f16_kv", "logits_all",
            "vocab_only", "use_mlock", "mirostat", "mirostat_tau", "mirostat_eta");

    /** The fields a Modelfile sets. {@code from} may be a model name or a blob reference; the creator decides. */
    record Fields(String from, List<String> adapters, String template, String system, List<String> licenses,
                  Map<String, Object> parameters, List<io.jollama.server.store.StoredMessage> messages, String renderer, String parser,
                  String requires) {}

    static Fields convert(Modelfile mf) {
        String from = null, template = null, system = null, renderer = null, parser = null, requires = null;
        List<String> adapters = new ArrayList<>(), licenses = new ArrayList<>();
        Map<String, Object> params = new LinkedHashMap<>();
        List<io.jollama.server.store.StoredMessage> messages = new ArrayList<>();
        for (Modelfile.Command c : mf.commands()) {
            switch (c.name()) {
                case "model" -> { if (from == null) from = c.args(); }
                case "adapter" -> adapters.add(c.args());
                case "template" -> template = c.args();
                case "system" -> system = c.args();
                case "license" -> licenses.add(c.args());
                case "renderer" -> renderer = c.args();
                case "parser" -> parser = c.args();
                case "requires" -> requires = c.args();
                case "draft" -> throw new CreateException("DRAFT models are not supported");
                case "message" -> {
                    int i = c.args().indexOf(": ");
                    messages.add(new io.jollama.server.store.StoredMessage(c.args().substring(0, i), c.args().substring(i + 2)));
                }
                default -> addParameter(params, c.name(), c.args());
            }
        }
        return new Fields(from, adapters, template, system, licenses, params, messages, renderer, parser, requires);
    }

    @SuppressWarnings("unchecked")
    private static void addParameter(Map<String, Object> params, String key, String value) {
        if (DEPRECATED.contains(key)) return;
        if (key.equals("stop")) {
            ((List<Object>) params.computeIfAbsent("stop", k -> new ArrayList<>())).add(value);
        } else if (INTS.contains(key)) {
            try {
                params.put(key, Long.parseLong(value.strip()));
            } catch (NumberFormatException e) {
                throw new CreateException("invalid int value [" + value + "]");
            }
        } else if (FLOATS.contains(key)) {
            try {
                params.put(key, Float.parseFloat(value.strip()));
            } catch (NumberFormatException e) {
                throw new CreateException("invalid float value [" + value + "]");
            }
        } else if (BOOLS.contains(key)) {
            String v = value.strip();
            switch (v) {
                case "1", "t", "T", "TRUE", "true", "True" -> params.put(key, true);
                case "0", "f", "F", "FALSE", "false", "False" -> params.put(key, false);
                default -> throw new CreateException("invalid bool value [" + value + "]");
            }
        } else {
            throw new CreateException("unknown parameter '" + key + "'");
        }
    }
}
