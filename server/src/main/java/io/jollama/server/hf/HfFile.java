package io.jollama.server.hf;

/**
 * A file of a Hugging Face repository, from the tree API.
 * @param sha256 the LFS object id (the SHA-256 of the content), or null for a file not stored in LFS
 */
public record HfFile(String path, long size, String sha256) {

    public String fileName() {
        int i = path.lastIndexOf('/');
        return i < 0 ? path : path.substring(i + 1);
    }
}
