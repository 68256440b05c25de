package io.jollama.engine.runner;

/**
 * How a generation ended and what it cost. {@code doneReason} is "stop" (end-of-generation token or stop
 * sequence), "length" (num_predict or the context limit) or "cancel"; {@code context} is the prompt plus the
 * generated tokens; durations are in nanoseconds.
 */
public record GenerationResult(String doneReason, int promptEvalCount, long promptEvalNanos,
                               int evalCount, long evalNanos, int[] context) {}
