package io.jollama.server.queue;

import java.time.Instant;
import java.util.Locale;

/**
 * One download in the queue.
 *
 * @param model     the name the model gets in the store (an Ollama registry name, or for a Hugging Face import the
 *                  chosen name or {@code hf.co/<repo>:<quant>})
 * @param repo      the Hugging Face repository ({@code owner/name}); null for registry pulls
 * @param quant     the requested quantization of a Hugging Face import; null for registry pulls
 * @param insecure  a registry pull allowed over plain http
 * @param requester the client address that queued it
 * @param attempts  failed attempts so far (3 make it {@code failed})
 * @param completed bytes downloaded so far (kept while paused)
 * @param total     bytes to download, 0 while unknown
 * @param notBefore earliest start of the next attempt (backoff after a failure)
 */
public record QueueEntry(long id, Kind kind, String model, String repo, String quant, boolean insecure, String requester,
                         Status status, String error, int attempts, long completed, long total, Instant notBefore,
                         Instant createdAt, Instant updatedAt) {

    public enum Kind {
        OLLAMA, HUGGINGFACE;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind of(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    public enum Status {
        PENDING, DOWNLOADING, COMPLETED, FAILED;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Status of(String s) {
            return valueOf(s.toUpperCase(Locale.ROOT));
        }
    }

    /** What a client asks to queue. */
    public record Request(Kind kind, String model, String repo, String quant, boolean insecure, String requester) {}

    public QueueEntry with(Status s, String err, int tries, long done, long size, Instant next, Instant now) {
        return new QueueEntry(id, kind, model, repo, quant, insecure, requester, s, err, tries, done, size, next,
                createdAt, now);
    }
}
