package io.jollama.server.catalog;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One immutable state of the catalog: the gallery's six documents. {@code models} is {@code models.json} (the live
 * listing, popularity order); {@code modelFiles} the {@code models/<m>.json} files, which keep models that left the
 * library; {@code tags} is {@code tags.json}, merged across refreshes, and {@code tags/<m>.json} is its entry.
 * {@code refreshedAt} is when this state was read from the library (null: the shipped snapshot).
 * The two large documents are serialized once, when first needed.
 */
public final class CatalogDocuments {

    private final LinkedHashMap<String, LibraryModel> models;
    private final Map<String, LibraryModel> modelFiles;
    private final LinkedHashMap<String, LinkedHashMap<String, TagInfo>> tags;
    private final ModelsStatus modelsStatus;
    private final TagsStatus tagsStatus;
    private final Instant refreshedAt;
    private volatile byte[] modelsJson;
    private volatile byte[] tagsJson;

    public CatalogDocuments(LinkedHashMap<String, LibraryModel> models, Map<String, LibraryModel> modelFiles,
                            LinkedHashMap<String, LinkedHashMap<String, TagInfo>> tags, ModelsStatus modelsStatus,
                            TagsStatus tagsStatus, Instant refreshedAt) {
        this.models = models;
        this.modelFiles = Map.copyOf(modelFiles);
        this.tags = tags;
        this.modelsStatus = modelsStatus;
        this.tagsStatus = tagsStatus;
        this.refreshedAt = refreshedAt;
    }

    /** A catalog with nothing in it and no previous run (a refresh from it reads every tags page). */
    public static CatalogDocuments empty() {
        return new CatalogDocuments(new LinkedHashMap<>(), Map.of(), new LinkedHashMap<>(),
                new ModelsStatus(0, false, 0, null, java.util.List.of(), java.util.List.of(), ""),
                new TagsStatus(0, false, 0, null, ""), null);
    }

    /** {@code models.json}: read-only. */
    public Map<String, LibraryModel> models() {
        return Collections.unmodifiableMap(models);
    }

    public Map<String, LibraryModel> modelFiles() {
        return modelFiles;
    }

    /** {@code tags.json}: read-only (the inner maps must not be changed either). */
    public Map<String, LinkedHashMap<String, TagInfo>> tags() {
        return Collections.unmodifiableMap(tags);
    }

    public ModelsStatus modelsStatus() {
        return modelsStatus;
    }

    public TagsStatus tagsStatus() {
        return tagsStatus;
    }

    public Instant refreshedAt() {
        return refreshedAt;
    }

    public byte[] modelsJson() {
        byte[] b = modelsJson;
        if (b == null) modelsJson = b = GalleryJson.write(models);
        return b;
    }

    public byte[] tagsJson() {
        byte[] b = tagsJson;
        if (b == null) tagsJson = b = GalleryJson.write(tags);
        return b;
    }

    public byte[] modelsStatusJson() {
        return GalleryJson.write(modelsStatus);
    }

    public byte[] tagsStatusJson() {
        return GalleryJson.write(tagsStatus);
    }

    /** {@code models/<model>.json}, if the catalog has that model. */
    public Optional<byte[]> modelJson(String model) {
        LibraryModel m = modelFiles.get(model);
        return m == null ? Optional.empty() : Optional.of(GalleryJson.write(m));
    }

    /** {@code tags/<model>.json}, if the catalog has that model's tags. */
    public Optional<byte[]> modelTagsJson(String model) {
        LinkedHashMap<String, TagInfo> t = tags.get(model);
        return t == null ? Optional.empty() : Optional.of(GalleryJson.write(t));
    }

    /** A copy of {@code tags.json} to merge a refresh into. */
    LinkedHashMap<String, LinkedHashMap<String, TagInfo>> tagsCopy() {
        return new LinkedHashMap<>(tags);
    }
}
