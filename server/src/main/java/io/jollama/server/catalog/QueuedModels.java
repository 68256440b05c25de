package io.jollama.server.catalog;

import java.util.Set;

/**
 * The hook through which the download queue tells the catalog which models are queued (names as queued, e.g.
 * {@code llama3.2}, {@code llama3.2:1b}). Without a queue nothing is queued.
 */
@FunctionalInterface
public interface QueuedModels {

    Set<String> names();

    QueuedModels NONE = Set::of;
}
