package io.jollama.server.registry;

import io.jollama.server.store.Layer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** Ollama's directory layout ({@code manifests/<host>/<ns>/<model>/<tag>}, {@code blobs/}) for registry tests. */
final class DirectoryStorage implements ModelStorage {

    final Path root;

    DirectoryStorage(Path root) {
        this.root = root;
    }

    @Override
    public Path blobsDir() {
        return root.resolve("blobs");
    }

    Path manifestPath(RegistryName n) {
        return root.resolve("manifests").resolve(n.host()).resolve(n.namespace()).resolve(n.model()).resolve(n.tag());
    }

    @Override
    public Optional<byte[]> readManifest(RegistryName name) throws IOException {
        Path p = manifestPath(name);
        return Files.exists(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
    }

    @Override
    public synchronized boolean writeManifest(RegistryName name, byte[] manifest) throws IOException {
        Path p = manifestPath(name);
        Set<String> old = new HashSet<>();
        if (Files.exists(p)) for (Layer l : ManifestReader.read(Files.readAllBytes(p)).blobs()) old.add(l.digest());
        Files.createDirectories(p.getParent());
        Path tmp = Files.createTempFile(p.getParent(), ".tmp-", ".manifest");
        Files.write(tmp, manifest);
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return removeUnusedBlobs(old) > 0;
    }

    int removeUnusedBlobs(Collection<String> candidates) throws IOException {
        Set<String> used = new HashSet<>();
        Path manifests = root.resolve("manifests");
        if (Files.exists(manifests)) {
            try (Stream<Path> s = Files.walk(manifests)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    for (Layer l : ManifestReader.read(Files.readAllBytes(p)).blobs()) used.add(l.digest());
                }
            }
        }
        int removed = 0;
        for (String d : candidates) {
            if (!used.contains(d) && Files.deleteIfExists(blobPath(d))) removed++;
        }
        return removed;
    }

    /** Writes blobs and a manifest for a model, as create would. Returns the manifest bytes. */
    byte[] addModel(RegistryName name, byte[] config, byte[]... layers) throws IOException {
        Files.createDirectories(blobsDir());
        for (byte[] layer : layers) Files.write(blobPath(TestRegistry.digest(layer)), layer);
        Files.write(blobPath(TestRegistry.digest(config)), config);
        byte[] manifest = manifestJson(config, layers);
        writeManifest(name, manifest);
        return manifest;
    }

    /** An Ollama-style manifest (with its trailing newline) for a config blob and model layers. */
    static byte[] manifestJson(byte[] config, byte[]... layers) {
        StringBuilder ls = new StringBuilder();
        for (byte[] layer : layers) {
            if (!ls.isEmpty()) ls.append(',');
            ls.append("{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"")
                    .append(TestRegistry.digest(layer)).append("\",\"size\":").append(layer.length).append('}');
        }
        return ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\""
                + TestRegistry.digest(config) + "\",\"size\":" + config.length + "},\"layers\":[" + ls + "]}\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Every file under blobs/, by name. */
    Set<String> blobFiles() throws IOException {
        if (!Files.exists(blobsDir())) return Set.of();
        try (Stream<Path> s = Files.list(blobsDir())) {
            return new java.util.TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
