/**
 * Pull and push over Ollama's registry protocol (OLLAMA-COMPAT §4, §1.10–1.11, §2.6).
 * <ul>
 * <li>{@link io.jollama.server.registry.ServerRegistry}: the server's registry over its model store; the routes
 *     {@code POST /api/pull} and {@code POST /api/push} are {@link io.jollama.server.api.RegistryApi}.</li>
 * <li>{@link io.jollama.server.registry.Registry}: the pull and push sequences with Ollama's statuses; one
 *     instance per server, sharing downloads between concurrent pulls.</li>
 * <li>{@link io.jollama.server.registry.RegistryClient}: the HTTP requests of one operation (manifest, blob HEAD,
 *     blob redirect, ranged GETs, upload sessions, manifest PUT) with the bearer challenge/token flow.</li>
 * <li>{@link io.jollama.server.registry.BlobDownloader}: parallel ranged parts into {@code sha256-<hex>-partial}
 *     with per-part state files (resume after a crash or cancel), stall restarts, retries, SHA-256 check before
 *     the blob gets its name.</li>
 * <li>{@link io.jollama.server.registry.OllamaKey}: {@code ~/.ollama/id_ed25519} (OpenSSH format) signing token
 *     requests.</li>
 * <li>{@link io.jollama.server.registry.ModelStorage} / {@link io.jollama.server.registry.StoreStorage}: what the
 *     registry needs from the model store.</li>
 * </ul>
 */
package io.jollama.server.registry;
