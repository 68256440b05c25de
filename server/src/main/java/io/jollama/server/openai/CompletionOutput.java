package io.jollama.server.openai;

import io.javalin.http.Context;
import io.jollama.server.api.Http;
import io.jollama.server.api.InferenceApi;
import io.jollama.server.api.InferenceTypes.GenerateResponse;
import io.jollama.server.openai.OpenAiTypes.Completion;
import io.jollama.server.openai.OpenAiTypes.CompletionChoice;
import io.jollama.server.openai.OpenAiTypes.Usage;

import java.util.List;

/**
 * Receives the native /api/generate responses and answers in OpenAI's text_completion form (spec §9.2). Streaming:
 * every chunk is a text_completion whose text is the delta; the last carries the finish reason; with
 * {@code include_usage} every chunk carries zero usage and one more chunk with no choices carries the real one.
 */
final class CompletionOutput implements InferenceApi.Output {
    private final Context ctx;
    private final boolean stream;
    private final boolean includeUsage;
    private final String id;
    private final SseWriter sse;
    private long created = -1;

    CompletionOutput(Context ctx, boolean stream, boolean includeUsage, String id) {
        this.ctx = ctx;
        this.stream = stream;
        this.includeUsage = includeUsage;
        this.id = id;
        this.sse = new SseWriter(ctx);
    }

    @Override
    public boolean stream() {
        return stream;
    }

    @Override
    public boolean gone() {
        return sse.gone();
    }

    @Override
    public void send(Object message) {
        GenerateResponse r = (GenerateResponse) message;
        if (created < 0) created = OpenAiApi.unixSeconds(r.createdAt());
        String finish = r.done() ? ChatCompletionOutput.finishReason(r.doneReason(), false) : null;
        CompletionChoice choice = new CompletionChoice(r.response() == null ? "" : r.response(), 0, finish,
                ChatCompletionOutput.logprobs(r.logprobs()));
        sse.send(new Completion(id, "text_completion", created, r.model(), OpenAiTypes.FINGERPRINT, List.of(choice),
                includeUsage ? Usage.ZERO : null));
        if (!r.done()) return;
        if (includeUsage) sse.send(new Completion(id, "text_completion", created, r.model(), OpenAiTypes.FINGERPRINT, List.of(),
                Usage.of(r.metrics())));
        sse.done();
    }

    @Override
    public void single(Object message) {
        GenerateResponse r = (GenerateResponse) message;
        CompletionChoice choice = new CompletionChoice(r.response() == null ? "" : r.response(), 0,
                ChatCompletionOutput.finishReason(r.doneReason(), false), ChatCompletionOutput.logprobs(r.logprobs()));
        Http.json(ctx, new Completion(id, "text_completion", OpenAiApi.unixSeconds(r.createdAt()), r.model(), OpenAiTypes.FINGERPRINT,
                List.of(choice), Usage.of(r.metrics())));
    }

    @Override
    public void fail(int status, String message) {
        if (sse.started()) sse.fail(status, message);
        else OpenAiApi.error(ctx, status, message);
    }
}
