package io.jollama.server.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read into memory up to a limit, for documents fetched from the network (manifests, tokens, error
 * bodies, JSON listings): a larger body (by its {@code Content-Length} or as it arrives) fails with
 * {@link TooLargeException} instead of growing the heap by whatever a server sends.
 */
public final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {

    /** A response body over its limit; an {@link IOException} so that HTTP clients report it like a failed read. */
    public static final class TooLargeException extends IOException {
        public TooLargeException(String what, long limit) {
            super(what + " is too large (more than " + limit + " bytes)");
        }
    }

    private final String what;
    private final long limit;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    private BoundedBody(String what, long limit) {
        this.what = what;
        this.limit = limit;
    }

    /** Bytes of at most {@code limit}; {@code what} names the document in the error ("manifest"). */
    public static HttpResponse.BodyHandler<byte[]> bytes(String what, long limit) {
        return info -> {
            BoundedBody b = new BoundedBody(what, limit);
            if (info.headers().firstValueAsLong("Content-Length").orElse(-1) > limit) {
                b.result.completeExceptionally(new TooLargeException(what, limit));
            }
            return b;
        };
    }

    /** The body as UTF-8 text of at most {@code limit} bytes. */
    public static HttpResponse.BodyHandler<String> string(String what, long limit) {
        HttpResponse.BodyHandler<byte[]> bytes = bytes(what, limit);
        return info -> HttpResponse.BodySubscribers.mapping(bytes.apply(info), b -> new String(b, StandardCharsets.UTF_8));
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (result.isDone()) s.cancel();
        else s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) return;
        for (ByteBuffer b : items) {
            if (buffer.size() + (long) b.remaining() > limit) {
                result.completeExceptionally(new TooLargeException(what, limit));
                subscription.cancel();
                return;
            }
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            buffer.writeBytes(chunk);
        }
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        result.complete(buffer.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }
}
