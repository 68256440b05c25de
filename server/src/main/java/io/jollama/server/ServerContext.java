package io.jollama.server;

import io.jollama.server.sched.Scheduler;

import io.jollama.server.api.ModelViews;
import io.jollama.server.create.ModelCreator;
import io.jollama.server.api.RegistryApi;
import io.jollama.server.store.ModelStore;

/** The long-lived parts of a running server that handlers use. Later parts (scheduler, registry) join here. */
public record ServerContext(ServerConfig config, ModelStore store, ModelViews views, ModelCreator creator,
                            RegistryApi registry, Scheduler scheduler, io.jollama.server.queue.DownloadQueue queue) {
}
