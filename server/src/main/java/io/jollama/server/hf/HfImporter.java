package io.jollama.server.hf;

import io.jollama.server.Progress;
import io.jollama.server.create.CreateRequest;
import io.jollama.server.create.ModelCreator;
import io.jollama.server.store.ModelStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Imports a GGUF model from a Hugging Face repository: lists its files, picks the quant ({@link GgufChoice}),
 * downloads each file straight into the blob store (resumable {@code sha256-<hex>-hf-partial} files, verified against
 * the LFS SHA-256 before they get their blob name), then creates the model as {@code FROM} those files would, chat
 * template detected from the GGUF.
 */
public final class HfImporter {

    private final HfClient client;
    private final ModelStore store;
    private final ModelCreator creator;

    public HfImporter(HfClient client, ModelStore store, ModelCreator creator) {
        this.client = client;
        this.store = store;
        this.creator = creator;
    }

    public HfClient client() {
        return client;
    }

    /** The repository's files and the pick for {@code quant}; throws {@link HfException} for the user's mistakes. */
    public GgufChoice resolve(String repo, String quant) throws IOException {
        return GgufChoice.pick(repo, client.listFiles(repo), quant);
    }

    /** {@link #resolve}, then the first byte of the pick is asked for, so a gated repository is refused at once. */
    public GgufChoice check(String repo, String quant) throws IOException {
        GgufChoice c = resolve(repo, quant);
        client.probe(repo, c.files().getFirst());
        return c;
    }

    /**
     * Downloads and creates the model {@code name}. {@code bytes} gets (completed, total) over all files;
     * {@code checkpoint} may throw to pause (partial files stay).
     */
    public void importModel(String repo, String quant, String name, Consumer<Progress> progress,
                            BytesListener bytes, Runnable checkpoint) throws IOException {
        progress.accept(Progress.status("listing " + repo));
        GgufChoice choice = resolve(repo, quant);
        long total = choice.size();
        long before = 0;
        Map<String, String> files = new LinkedHashMap<>();
        for (HfFile f : choice.all()) {
            String digest = fetch(repo, f, before, total, progress, bytes, checkpoint);
            files.put(f.fileName(), digest);
            before += f.size();
        }
        bytes.update(total, total);
        CreateRequest request = new CreateRequest(name, null, null, files, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null);
        creator.create(creator.validate(request), progress);
    }

    /** Receives download progress over all files of an import. */
    @FunctionalInterface
    public interface BytesListener {
        void update(long completed, long total);
    }

    private String fetch(String repo, HfFile f, long before, long total, Consumer<Progress> progress,
                         BytesListener bytes, Runnable checkpoint) throws IOException {
        String status = "pulling " + f.fileName();
        if (f.sha256() != null && Files.exists(store.blobPath("sha256:" + f.sha256()))) {
            bytes.update(before + f.size(), total);
            progress.accept(new Progress(status, "sha256:" + f.sha256(), f.size(), f.size()));
            return "sha256:" + f.sha256();
        }
        Files.createDirectories(store.blobsDir());
        String key = f.sha256() != null ? f.sha256() : sha256Hex(repo + "/" + f.path());
        Path partial = store.blobsDir().resolve("sha256-" + key + "-hf-partial");
        long[] last = {0};
        try {
            client.download(repo, f, partial, n -> {
                bytes.update(before + n, total);
                long now = System.nanoTime();
                if (now - last[0] > 60_000_000L || n == f.size()) { // Ollama's 60 ms progress cadence
                    last[0] = now;
                    progress.accept(new Progress(status, f.sha256() == null ? null : "sha256:" + f.sha256(), f.size(), n));
                }
            }, checkpoint);
        } catch (FileSystemException e) {
            if (e.getReason() != null && e.getReason().contains("No space left")) {
                Files.deleteIfExists(partial);
                throw new HfException(507, "insufficient storage", "no space left on device while downloading " + f.path(), true, e);
            }
            throw e;
        }
        progress.accept(Progress.status("verifying sha256 digest"));
        long size = Files.size(partial);
        String got = sha256Hex(partial);
        if ((f.size() > 0 && size != f.size()) || (f.sha256() != null && !got.equals(f.sha256()))) {
            Files.delete(partial);
            throw new HfException(502, "digest mismatch", f.path() + " of " + repo + " does not match its SHA-256 "
                    + f.sha256() + " (got " + got + ", " + size + " bytes): it must be downloaded again", false);
        }
        Path blob = store.blobPath("sha256:" + got);
        Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return "sha256:" + got;
    }

    private static String sha256Hex(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String sha256Hex(String s) {
        return HexFormat.of().formatHex(sha256().digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The default model name of an import: {@code hf.co/<repo>:<quant>}, as Ollama names Hugging Face pulls. */
    public static String defaultName(String repo, String quant) {
        return "hf.co/" + repo + ":" + quant;
    }

    /** {@code owner/name} with Hugging Face's characters. */
    public static boolean isValidRepo(String repo) {
        return repo != null && repo.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")
                && !repo.contains("..");
    }

}
