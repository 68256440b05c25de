/**
 * Ollama's on-disk model store ({@code OLLAMA_MODELS}) and model names.
 * <ul>
 * <li>{@link io.jollama.server.store.ModelName}: parse ({@code parse}, {@code parseBare}), {@code isValid},
 *     {@code displayShortest}, {@code filepath}.</li>
 * <li>{@link io.jollama.server.store.ModelStore}: the store, one lock over the changes of its three parts:
 *     {@link io.jollama.server.store.Manifests} (the {@code manifests/} tree: names, reading, listing, atomic
 *     writes), {@link io.jollama.server.store.Blobs} (the content-addressed {@code blobs/}) and
 *     {@code BlobCollector} (garbage collection with pins, start-up prune). Its operations: {@code resolve} (case-insensitive to the stored spelling),
 *     {@code manifestPath}, {@code find}, {@code readManifestBytes}, {@code list}; {@code commitManifest} /
 *     {@code commitManifestBytes} (atomic write after checking every blob exists, then pruning the replaced
 *     manifest's unused blobs); {@code copy}, {@code delete} (with GC); blobs: {@code blobPath}, {@code hasBlob},
 *     {@code writeBlob(InputStream, expectedDigest)} (temp file, sha256 verified, rename), {@code adoptBlob(Path)},
 *     {@code writeBlob(mediaType, bytes)}; {@code pin} (protect blobs from GC while a manifest referencing them is
 *     being prepared; a blob a GC spared only because of a pin is collected when its last pin is released) with
 *     {@code Pin.add}, {@code Pin.pinModel(name)} (find and pin atomically) and {@code Pin.adoptBlob(path)}
 *     (pinned before it appears); start-up {@code fixBlobNames} and {@code prune}.</li>
 * <li>{@link io.jollama.server.store.Manifest}, {@link io.jollama.server.store.Layer},
 *     {@link io.jollama.server.store.ConfigBlob}, {@link io.jollama.server.store.MediaTypes}: the JSON shapes,
 *     serialised byte-identically to Ollama's.</li>
 * <li>{@link io.jollama.server.store.ModelContents}: a model's small layers read (template, system, params,
 *     messages, licenses) and its weight blob paths.</li>
 * </ul>
 */
package io.jollama.server.store;
