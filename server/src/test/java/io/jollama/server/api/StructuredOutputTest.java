package io.jollama.server.api;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code format} with a JSON schema (and /v1's {@code response_format}) through real HTTP: the answers of the
 * TinyStories model and of a random-weight Llama-3-style model (byte-level BPE, multi-byte tokens) validate against
 * their schemas, checked by a JSON-schema validator (formats asserted); unsupported schemas are a 400 naming the
 * feature.
 */
class StructuredOutputTest {
    /** Schemas whose strings are all bounded, so that even random weights finish within the token limit. */
    static final List<String> SCHEMAS = List.of("person", "enums", "refs", "formats", "unions", "optional", "array", "nested");
    static final SchemaRegistry VALIDATORS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));

    static final Pattern OFFSET = Pattern.compile("(\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?)([+-]\\d\\d:\\d\\d)\"");

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")));
        create("tiny", TestServer.storiesF32(), "{{ .Prompt }}");
        create("rnd", TestServer.testdata().resolve("models/arch/llama-bpe-f32.gguf"), "{{ .Prompt }}");
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"tinychat\",\"from\":\"tiny\",\"template\":"
                + "\"{{ range .Messages }}{{ .Content }}{{ end }}\",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
    }

    static void create(String name, Path gguf, String template) throws IOException {
        String d = server.upload(gguf);
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"" + name + "\",\"files\":{\"m.gguf\":\"" + d + "\"},"
                + "\"template\":" + Json.write(template) + ",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static String resource(String name) throws IOException {
        try (InputStream in = StructuredOutputTest.class.getResourceAsStream("/schema/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static void assertValid(String schema, String text, String what) {
        Schema s = VALIDATORS.getSchema(schema, InputFormat.JSON);
        // RFC 3339 allows offsets of -00:00 (local offset unknown, 4.3) and up to ±23:59 (the time-numoffset ABNF), which
        // the validator's date-time parser (java.time: at most ±18:00) refuses: offsets are checked here, then made Z
        Matcher offsets = OFFSET.matcher(text);
        while (offsets.find()) assertTrue(offsets.group(3).matches("[+-]([01]\\d|2[0-3]):[0-5]\\d"), what + ": offset " + offsets.group(3));
        List<Error> errors = s.validate(OFFSET.matcher(text).replaceAll("$1Z\""), InputFormat.JSON);
        assertTrue(errors.isEmpty(), what + ": " + errors + " in " + text);
    }

    static JsonNode generate(String model, String schema, String options) {
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\","
                + "\"format\":" + schema + ",\"stream\":false,\"options\":{" + options + "}}");
        assertEquals(200, r.statusCode(), r.body());
        return TestServer.json(r);
    }

    @Test
    void everySchemaCaseValidatesOnBothModels() throws IOException {
        for (String name : SCHEMAS) {
            String schema = resource(name + ".json");
            // greedy and sampled on TinyStories, sampled on the random model (whose greedy choice is as arbitrary)
            for (String[] run : new String[][]{{"tiny", "\"temperature\":0"}, {"tiny", "\"temperature\":1,\"seed\":7"}, {"rnd", "\"temperature\":1,\"seed\":7"}}) {
                JsonNode j = generate(run[0], schema, run[1] + ",\"num_predict\":400");
                String what = name + " on " + run[0] + " with " + run[1];
                assertEquals("stop", j.get("done_reason").asString(), what + ": " + j.get("response").asString());
                assertValid(schema, j.get("response").asString(), what);
            }
        }
    }

    @Test
    void chatStreamsSchemaValidJson() throws IOException {
        String schema = resource("person.json");
        HttpResponse<String> r = server.post("/api/chat", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"Lily\"}],"
                + "\"format\":" + schema + ",\"options\":{\"temperature\":0.7,\"seed\":3,\"num_predict\":300}}");
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder text = new StringBuilder();
        JsonNode last = null;
        for (String line : r.body().split("\n")) {
            last = Json.MAPPER.readTree(line);
            text.append(last.get("message").get("content").asString());
        }
        assertEquals("stop", last.get("done_reason").asString());
        assertValid(schema, text.toString(), "streamed chat");
    }

    @Test
    void openAiResponseFormats() throws IOException {
        String schema = resource("refs.json");
        HttpResponse<String> r = server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"Lily\"}],"
                + "\"temperature\":0,\"max_tokens\":300,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"addr\",\"strict\":true,\"schema\":" + schema + "}}}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = TestServer.json(r).get("choices").get(0);
        assertEquals("stop", choice.get("finish_reason").asString());
        assertValid(schema, choice.get("message").get("content").asString(), "json_schema");

        r = server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"Lily\"}],"
                + "\"temperature\":0,\"max_tokens\":200,\"response_format\":{\"type\":\"json_object\"}}");
        assertEquals(200, r.statusCode(), r.body());
        String content = TestServer.json(r).get("choices").get(0).get("message").get("content").asString();
        assertTrue(content.startsWith("{"), content);

        r = server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"string\",\"format\":\"email\"}}}}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("string format \\\"email\\\""), r.body());
    }

    @Test
    void unsupportedFeaturesAreRefusedByName() {
        String[][] cases = {
                {"{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"uniqueItems\":true}", "uniqueItems"},
                {"{\"type\":\"number\",\"minimum\":1.5}", "\"minimum\" (bounds are supported for \"type\": \"integer\" only)"},
                {"{\"type\":\"object\",\"properties\":{\"a\":{\"not\":{\"type\":\"string\"}}}}", "\"not\" (at #/properties/a)"},
                {"{\"type\":\"string\",\"pattern\":\"^(?=a)b$\"}", "lookarounds"},
                {"{\"type\":\"string\",\"pattern\":\"abc\"}", "not anchored with ^ and $"},
                {"{\"$ref\":\"https://example.com/s.json\"}", "only local references"},
                {"{\"type\":\"object\",\"properties\":{\"a\":{}},\"minProperties\":1}", "\"minProperties\""},
                {"{\"type\":\"string\",\"format\":\"date\",\"maxLength\":3}", "\"maxLength\" together with a pattern, format or enum"},
                {"{\"if\":{\"type\":\"string\"},\"then\":{\"maxLength\":2}}", "\"if\""},
                {"{\"allOf\":[{\"type\":\"object\"},{\"required\":[\"a\"]}]}", "allOf with 2 parts"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"format\":" + c[0] + "}");
            assertEquals(400, r.statusCode(), c[0] + " → " + r.body());
            String error = TestServer.json(r).get("error").asString();
            assertTrue(error.startsWith("JSON schema feature not supported in format: "), error);
            assertTrue(error.contains(c[1]), c[0] + " → " + error);
        }
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"format\":{\"type\":\"integer\",\"maximum\":\"x\"}}");
        assertEquals(400, r.statusCode());
        assertEquals("invalid JSON schema in format: \"maximum\" must be a number", TestServer.json(r).get("error").asString());
    }
}
