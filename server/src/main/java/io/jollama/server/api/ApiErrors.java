package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.server.create.CreateException;
import io.jollama.server.registry.RegistryException;
import io.jollama.server.sched.SchedulerException;
import io.jollama.server.store.StoreException;

import java.util.List;

/**
 * The one place where failures of the layers below (scheduler, store, create, registry) become an HTTP status,
 * as Ollama's {@code handleScheduleError} and its handlers' error switches do. The body is always the exception's
 * message; native routes wrap it as {@code {"error": message}}, /v1 routes in OpenAI's shape.
 */
public final class ApiErrors {

    /** The exceptions whose message is meant for the client; anything else is an unexpected 500 and is logged. */
    public static final List<Class<? extends RuntimeException>> EXPECTED = List.of(ApiException.class,
            SchedulerException.class, StoreException.class, CreateException.class, RegistryException.class);

    private ApiErrors() {}

    public static int status(RuntimeException e) {
        return switch (e) {
            case ApiException a -> a.status();
            case SchedulerException s -> switch (s.reason()) {
                case QUEUE_FULL, SHUTTING_DOWN -> 503;
                case CANCELLED -> 499;
                case LOAD_FAILED, FAILED -> 500;
            };
            case CreateException c -> 400;
            // Ollama answers a failed pull or push, whatever the registry said, with 500
            case RegistryException r -> 500;
            case StoreException s -> 500;
            default -> 500;
        };
    }

    public static boolean expected(Throwable e) {
        for (Class<? extends RuntimeException> k : EXPECTED) if (k.isInstance(e)) return true;
        return false;
    }

    /** Answers {@code {"error": message}} with the status of {@code e}. */
    public static void answer(Context ctx, RuntimeException e) {
        Http.error(ctx, status(e), e.getMessage());
    }
}
