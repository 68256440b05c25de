package io.jollama.server.catalog;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Installed and queued marks of search results, over the shipped snapshot. */
class CatalogSearchTest {

    static CatalogSearch.Result search(Map<String, List<String>> params, Catalog.Installed installed, Set<String> queued) {
        return CatalogSearch.search(CatalogFiles.snapshot(), CatalogSearch.Query.from(params), installed, queued);
    }

    static CatalogSearch.Model model(CatalogSearch.Result r, String name) {
        return r.models().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void installedByNameByManifestIdOrAsAnAliasAndQueuedByName() {
        // gpt-oss:20b is an alias of gpt-oss:latest (the tags page lists it once); nomic-embed-text is known by its id
        Catalog.Installed installed = new Catalog.Installed(Set.of("gpt-oss:20b", "llama3.2:latest"), Set.of("0a109f422b47"));
        Set<String> queued = Set.of("llama3.2:1b");
        CatalogSearch.Result r = search(Map.of("per_page", List.of("1000")), installed, queued);
        assertEquals(236, r.models().size());

        CatalogSearch.Model gpt = model(r, "gpt-oss");
        assertTrue(gpt.installed());
        assertTrue(gpt.tags().stream().noneMatch(CatalogSearch.Tag::installed), "no listed tag is the alias");
        CatalogSearch.Model nomic = model(r, "nomic-embed-text");
        assertTrue(nomic.installed() && nomic.tags().getFirst().installed());
        CatalogSearch.Model llama = model(r, "llama3.2");
        assertTrue(llama.installed() && llama.queued());
        assertEquals(List.of("llama3.2:latest"), llama.tags().stream().filter(CatalogSearch.Tag::installed).map(CatalogSearch.Tag::name).toList());
        assertEquals(List.of("llama3.2:1b"), llama.tags().stream().filter(CatalogSearch.Tag::queued).map(CatalogSearch.Tag::name).toList());
        assertFalse(model(r, "qwen3").installed() || model(r, "qwen3").queued());

        assertEquals(List.of("llama3.2"), search(Map.of("queued", List.of("true")), installed, queued).models().stream()
                .map(CatalogSearch.Model::name).toList());
        assertEquals(Set.of("llama3.2", "gpt-oss", "nomic-embed-text"), Set.copyOf(search(Map.of("installed", List.of("true")),
                installed, queued).models().stream().map(CatalogSearch.Model::name).toList()));
    }

    @Test
    void wordsMatchInNamesAnywhereAndInDescriptionsAtWordStarts() {
        Catalog.Installed none = new Catalog.Installed(Set.of(), Set.of());
        List<String> nomic = search(Map.of("q", List.of("nomic")), none, Set.of()).models().stream().map(CatalogSearch.Model::name).toList();
        assertTrue(nomic.contains("nomic-embed-text"), nomic.toString());
        assertFalse(nomic.contains("deepseek-v2"), "its description says 'economical'");
        List<String> both = search(Map.of("q", List.of("Embed TEXT")), none, Set.of()).models().stream().map(CatalogSearch.Model::name).toList();
        assertTrue(both.contains("nomic-embed-text"), "words are case-insensitive and all must match: " + both);
        assertFalse(both.contains("all-minilm"), "no \"text\" in its name or description words");
        assertTrue(search(Map.of("q", List.of("reasoning")), none, Set.of()).models().stream()
                .anyMatch(m -> m.name().equals("deepseek-r1")), "a description word");
    }

    @Test
    void tagFiltersKeepOnlyMatchingTagsAndCloudTagsHaveNoSize() {
        CatalogSearch.Result r = search(Map.of("q", List.of("gpt-oss"), "max_size", List.of("20GB")),
                new Catalog.Installed(Set.of(), Set.of()), Set.of());
        assertEquals(List.of("gpt-oss:latest"), model(r, "gpt-oss").tags().stream().map(CatalogSearch.Tag::name).toList());
        r = search(Map.of("q", List.of("gpt-oss"), "sort", List.of("size")), new Catalog.Installed(Set.of(), Set.of()), Set.of());
        assertEquals(4, model(r, "gpt-oss").tags().size(), "without tag filters every tag, the cloud ones too");
    }
}
