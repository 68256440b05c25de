package io.jollama.server.queue;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The disk of the model store as ohhhllama's health check sees it (spec 2.7): used percent counts reserved blocks as
 * used, free space is what an unprivileged writer may use, in GiB with one decimal.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DiskCheck(@JsonProperty("status") String status, @JsonProperty("path") String path,
                        @JsonProperty("used_percent") Integer usedPercent, @JsonProperty("free_gb") Double freeGb,
                        @JsonProperty("threshold") int threshold, @JsonProperty("warning_threshold") int warningThreshold,
                        @JsonProperty("error") String error,
                        @JsonProperty("free_bytes") @JsonInclude(JsonInclude.Include.NON_NULL) Long freeBytes) {

    public static DiskCheck of(Path dir, int threshold) {
        Path p = dir;
        while (p != null && !Files.exists(p)) p = p.toAbsolutePath().getParent();
        try {
            FileStore fs = Files.getFileStore(p == null ? dir : p);
            long total = fs.getTotalSpace(), free = fs.getUsableSpace();
            int used = total <= 0 ? 0 : (int) ((total - free) * 100 / total);
            double gb = Math.round(free / (double) (1L << 30) * 10) / 10.0;
            String status = used >= threshold ? "critical" : used >= threshold - 10 ? "warning" : "ok";
            return new DiskCheck(status, dir.toString(), used, gb, threshold, Math.max(0, threshold - 10), null, free);
        } catch (IOException | RuntimeException e) {
            return new DiskCheck("error", dir.toString(), null, null, threshold, Math.max(0, threshold - 10),
                    e.getMessage() == null ? e.toString() : e.getMessage(), null);
        }
    }

    public boolean critical() {
        return status.equals("critical");
    }
}
