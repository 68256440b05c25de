package io.jollama.engine.runner;

import io.jollama.engine.grammar.Grammar;
import io.jollama.engine.sample.SamplerOptions;

import java.util.List;

/**
 * Per-request generation settings.
 *
 * @param numPredict tokens to generate at most: -1 until end of generation (capped at 10 × the context, as Ollama),
 *                   -2 until the context is full
 * @param stop       stop sequences: generation ends before them and they are never emitted
 * @param numKeep    tokens at the start kept when the context shifts
 * @param shift      whether a full context shifts (drop half of what follows numKeep) or ends the generation
 * @param jsonFormat Ollama's JSON mode: the output is constrained to one JSON object, then generation stops
 * @param grammar    null, or a grammar the output is constrained to (a JSON schema's); generation stops when the
 *                   output is complete and nothing may follow
 */
public record GenerateOptions(int numPredict, List<String> stop, SamplerOptions sampler, int numKeep, boolean shift,
                              boolean jsonFormat, Grammar grammar) {

    public GenerateOptions(int numPredict, List<String> stop, SamplerOptions sampler, int numKeep, boolean shift,
                           boolean jsonFormat) {
        this(numPredict, stop, sampler, numKeep, shift, jsonFormat, null);
    }

    /** Without a format constraint. */
    public GenerateOptions(int numPredict, List<String> stop, SamplerOptions sampler, int numKeep, boolean shift) {
        this(numPredict, stop, sampler, numKeep, shift, false);
    }

    public static GenerateOptions greedy(int numPredict) {
        return new GenerateOptions(numPredict, List.of(), SamplerOptions.GREEDY, 4, true);
    }
}
