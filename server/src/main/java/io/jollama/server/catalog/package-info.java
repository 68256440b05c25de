/**
 * The library catalog: the Ollama library as the Ollama Gallery publishes it (six JSON documents), built by reading
 * ollama.com's library pages ({@link io.jollama.server.catalog.LibraryParser}, {@link io.jollama.server.catalog.CatalogRefresh}),
 * kept on disk as the gallery's {@code data/} folder ({@link io.jollama.server.catalog.CatalogFiles}), refreshed on a
 * schedule and on demand ({@link io.jollama.server.catalog.Catalog}), served under {@code /api/gallery} with search
 * and pull ({@link io.jollama.server.catalog.CatalogApi}, {@link io.jollama.server.catalog.CatalogSearch}).
 * The contract is {@code shared/spec/QUEUE-HF-GALLERY.md}, section 1.
 *
 * <p>Files rather than the SQLite database of the queue: the documents are the product (served and exported byte for
 * byte), the directory is itself a drop-in copy of the gallery's {@code data/}, and nothing in them needs queries.
 * The snapshot in {@code resources/io/jollama/server/catalog/snapshot/} is the gallery's published data of
 * 2026-07-15 (D3rhami/ollama_gallery {@code data/}: models.json, tags.json and the two status files), gzipped.
 */
package io.jollama.server.catalog;
