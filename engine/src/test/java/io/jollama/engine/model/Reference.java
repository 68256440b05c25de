package io.jollama.engine.model;

import io.jollama.engine.TestData;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** llama.cpp's reference outputs for a shared model file ({@code X.gguf.reference.json}). */
record Reference(Path model, List<Case> cases, List<Case> f32KvCases, JsonNode root) {

    /** One prompt: its token ids, llama.cpp's greedy continuation and the top-5 log-probs at every position. */
    record Case(String prompt, int[] promptTokens, int[] tokens, String content, List<Top5> top5) {}

    record Top5(int token, int[] ids, double[] logprobs) {}

    static Reference arch(String file) {
        Path model = TestData.path("models/arch/" + file);
        JsonNode root = JsonMapper.builder().build().readTree(model.resolveSibling(file + ".reference.json").toFile());
        List<Case> variant = root.has("variants") ? cases(root.get("variants").get(0).get("prompts")) : List.of();
        return new Reference(model, cases(root.get("prompts")), variant, root);
    }

    static List<Case> cases(JsonNode prompts) {
        List<Case> out = new ArrayList<>();
        for (JsonNode p : prompts) {
            List<Top5> top = new ArrayList<>();
            for (JsonNode t : p.get("top5")) {
                top.add(new Top5(t.get("token").asInt(), ints(t.get("top_ids")), doubles(t.get("top_logprobs"))));
            }
            out.add(new Case(p.get("prompt").asString(), ints(p.get("prompt_tokens")), ints(p.get("tokens")), p.get("content").asString(), top));
        }
        return out;
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static double[] doubles(JsonNode a) {
        double[] r = new double[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asDouble();
        return r;
    }
}
