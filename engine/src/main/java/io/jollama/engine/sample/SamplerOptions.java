package io.jollama.engine.sample;

/**
 * Ollama's sampling options (its defaults in {@link #DEFAULTS}). {@code temperature <= 0} is greedy;
 * {@code topK <= 0}, {@code topP >= 1}, {@code minP <= 0}, {@code typicalP >= 1} switch that stage off;
 * {@code repeatLastN} 0 disables the penalties, -1 means the whole context; {@code seed < 0} picks a random seed.
 */
public record SamplerOptions(float temperature, int topK, float topP, float minP, float typicalP,
                             int repeatLastN, float repeatPenalty, float presencePenalty, float frequencyPenalty,
                             long seed) {

    public static final SamplerOptions DEFAULTS = new SamplerOptions(0.8f, 40, 0.9f, 0.0f, 1.0f, 64, 1.0f, 0f, 0f, -1);

    public static final SamplerOptions GREEDY = new SamplerOptions(0f, 40, 0.9f, 0.0f, 1.0f, 64, 1.0f, 0f, 0f, -1);

    public SamplerOptions withTemperature(float t) {
        return new SamplerOptions(t, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, presencePenalty, frequencyPenalty, seed);
    }

    public SamplerOptions withSeed(long s) {
        return new SamplerOptions(temperature, topK, topP, minP, typicalP, repeatLastN, repeatPenalty, presencePenalty, frequencyPenalty, s);
    }
}
