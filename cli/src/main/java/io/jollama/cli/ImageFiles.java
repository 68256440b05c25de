package io.jollama.cli;

import io.jollama.client.Api.ShowResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Image files named in a prompt for a multimodal model, as ollama's {@code run} finds them: paths starting with
 * {@code /}, {@code ./}, {@code \} or a drive letter and ending in .jpg, .jpeg, .png, .webp or .wav (spaces may be
 * escaped). Each one that exists is read (at most 100 MB, its content sniffed to be one of those types), removed from
 * the text and sent as one of the message's images; a path that names no file stays text.
 */
final class ImageFiles {
    private static final Pattern PATH = Pattern.compile("(?:[a-zA-Z]:)?(?:\\./|/|\\\\)[\\S\\\\ ]+?\\.(?i:jpg|jpeg|png|webp|wav)\\b");
    private static final long MAX_BYTES = 100L * 1024 * 1024;

    private ImageFiles() {}

    /** The prompt without the paths of the files read, and those files' bytes in base64. */
    record Extracted(String text, List<String> images) {}

    /** Whether the model takes images (or audio) in its prompts. */
    static boolean multimodal(ShowResponse info) {
        List<String> caps = info.capabilities() == null ? List.of() : info.capabilities();
        return caps.contains("vision") || caps.contains("audio");
    }

    /** The candidate paths in the text, in order. */
    static List<String> names(String input) {
        List<String> out = new ArrayList<>();
        Matcher m = PATH.matcher(input);
        while (m.find()) out.add(m.group());
        return out;
    }

    /**
     * Reads the files the text names, telling {@code err} about each one added.
     *
     * @throws IllegalArgumentException when a named file is not an image (or too large) or cannot be read
     */
    static Extracted extract(String input, PrintStream err) {
        List<String> images = new ArrayList<>();
        for (String fp : names(input)) {
            String nfp = normalize(fp);
            byte[] data;
            try {
                data = read(Path.of(nfp));
            } catch (NoSuchFileException | java.nio.file.InvalidPathException e) {
                continue;
            } catch (IOException e) {
                err.println("Couldn't process file: \"" + e.getMessage() + "\"");
                throw new IllegalArgumentException(e.getMessage());
            }
            err.println((nfp.toLowerCase(java.util.Locale.ROOT).endsWith(".wav") ? "Added audio '" : "Added image '") + nfp + "'");
            input = input.replace("'" + nfp + "'", "").replace("'" + fp + "'", "").replace(fp, "");
            images.add(Base64.getEncoder().encodeToString(data));
        }
        return new Extracted(input.strip(), images);
    }

    /** The path with the shell escapes a terminal adds when a file is dropped on it undone. */
    static String normalize(String fp) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fp.length(); i++) {
            char c = fp.charAt(i);
            if (c == '\\' && i + 1 < fp.length() && " ()[]{}$&;'\\*?~".indexOf(fp.charAt(i + 1)) >= 0) {
                b.append(fp.charAt(++i));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static byte[] read(Path p) throws IOException {
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString());
        byte[] head = new byte[512];
        int n;
        try (InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, head.length);
        }
        String type = contentType(head, n);
        if (!List.of("image/jpeg", "image/png", "image/webp", "audio/wave").contains(type)) {
            throw new IOException("invalid file type: " + type);
        }
        if (Files.size(p) > MAX_BYTES) throw new IOException("file size exceeds maximum limit (100MB)");
        return Files.readAllBytes(p);
    }

    /** The content type by signature, named as Go's http.DetectContentType names it. */
    static String contentType(byte[] b, int n) {
        if (n >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) return "image/jpeg";
        if (n >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == '\r' && b[5] == '\n' && b[6] == 0x1a && b[7] == '\n') return "image/png";
        if (n >= 14 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F') {
            String kind = new String(b, 8, 6, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (kind.equals("WEBPVP")) return "image/webp";
            if (kind.startsWith("WAVE")) return "audio/wave";
        }
        for (int i = 0; i < n; i++) {
            int c = b[i] & 0xff;
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x0c && c != 0x1b) return "application/octet-stream";
        }
        return "text/plain; charset=utf-8";
    }
}
