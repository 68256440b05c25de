package io.jollama.server.registry;

import io.jollama.server.store.Layer;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.ModelStore;
import io.jollama.server.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@link ModelStorage} on the server's {@link ModelStore}: its blob directory, manifests, pins and GC. */
public final class StoreStorage implements ModelStorage {

    private final ModelStore store;
    private final boolean prune;

    /** @param prune false under {@code OLLAMA_NOPRUNE}: a pull over a tag keeps the old blobs */
    public StoreStorage(ModelStore store, boolean prune) {
        this.store = store;
        this.prune = prune;
    }

    public static ModelName toModelName(RegistryName n) {
        return new ModelName(n.scheme(), n.host(), n.namespace(), n.model(), n.tag());
    }

    public static RegistryName toRegistryName(ModelName n) {
        return new RegistryName(n.scheme().equals(ModelName.DEFAULT_SCHEME) ? "" : n.scheme(), n.host(),
                n.namespace(), n.model(), n.tag());
    }

    @Override
    public Path blobsDir() {
        return store.blobsDir();
    }

    @Override
    public Optional<byte[]> readManifest(RegistryName name) throws IOException {
        try {
            return store.readManifestBytes(toModelName(name));
        } catch (StoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public boolean writeManifest(RegistryName name, byte[] manifest) throws IOException {
        ModelName n = toModelName(name);
        Set<String> replaced = new LinkedHashSet<>();
        try {
            store.readManifestBytes(n).ifPresent(old -> {
                try {
                    for (Layer l : ManifestReader.read(old).blobs()) replaced.add(l.digest());
                } catch (RegistryException unreadable) {
                    // nothing known to prune
                }
            });
            io.jollama.server.store.Manifest parsed = io.jollama.server.store.Manifest.parse(manifest);
            replaced.removeAll(parsed.digests());
            List<String> present = replaced.stream().filter(d -> Files.exists(store.blobPath(d))).toList();
            store.commitManifestBytes(n, manifest, parsed, prune);
            return present.stream().anyMatch(d -> !Files.exists(store.blobPath(d)));
        } catch (StoreException e) {
            throw new RegistryException(500, e.getMessage(), e);
        }
    }

    @Override
    public Pin pin(Collection<String> digests) {
        ModelStore.Pin lease = store.pin(digests);
        return lease::close;
    }
}
