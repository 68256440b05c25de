package io.jollama.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code jollama run}: what it sends and prints, one-shot, piped (in the test JVM; the first as a process) and in a
 * pseudo-terminal (a process), against a scripted server ({@link FakeOllama}) so each request can be checked.
 */
class RunCommandTest {

    @TempDir
    static Path tmp;
    static FakeOllama fake;
    static Cli cli;

    @BeforeAll
    static void start() throws IOException {
        fake = new FakeOllama();
        Files.createDirectories(tmp.resolve("home"));
        cli = new Cli(fake.host(), tmp.resolve("home"));
    }

    @AfterAll
    static void stop() {
        fake.close();
    }

    @BeforeEach
    void clear() {
        fake.reset();
    }

    @Test
    void oneShotPromptStreamsTheAnswer() {
        Cli.Result r = cli.runProcess("run", "m", "hello", "there", "--format", "json", "--keepalive", "10m", "--think=low");
        assertEquals(0, r.code(), r.toString());
        assertEquals("echo: hello there\n", r.out());
        JsonNode req = fake.bodies("/api/generate").getFirst();
        assertEquals("m", req.path("model").asString());
        assertEquals("hello there", req.path("prompt").asString());
        assertEquals("json", req.path("format").asString());
        assertEquals("10m", req.path("keep_alive").asString());
        assertEquals("low", req.path("think").asString());
        assertEquals(List.of("/api/show", "/api/generate"), fake.requests.stream().map(FakeOllama.Request::path).toList());
    }

    /** Issue 15, item 11: as in ollama, a bare --think means true; the word after it is the prompt. */
    @Test
    void bareThinkFlagMeansTrue() {
        Cli.Result r = cli.run("run", "m", "--think", "hi");
        assertEquals(0, r.code(), r.toString());
        JsonNode req = fake.bodies("/api/generate").getFirst();
        assertEquals("hi", req.path("prompt").asString());
        assertTrue(req.path("think").asBoolean(), req.toString());
    }

    @Test
    void pipedStdinIsThePromptBeforeTheArguments() {
        Cli.Result r = cli.runWithInput("a story\n", "run", "m", "please");
        assertEquals(0, r.code(), r.toString());
        assertEquals("a story\n please", fake.bodies("/api/generate").getFirst().path("prompt").asString());
        assertEquals("echo: a story\n please\n", r.out());
    }

    @Test
    void verbosePrintsTimings() {
        Cli.Result r = cli.run("run", "m", "hi", "--verbose");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("total duration:       2.5s\n"), r.err());
        assertTrue(r.err().contains("load duration:        1ms\n"), r.err());
        assertTrue(r.err().contains("prompt eval count:    5 token(s)\n"), r.err());
        assertTrue(r.err().contains("prompt eval rate:     100.00 tokens/s\n"), r.err());
        assertTrue(r.err().contains("eval count:           10 token(s)\n"), r.err());
        assertTrue(r.err().contains("eval rate:            10.00 tokens/s\n"), r.err());
    }

    @Test
    void embeddingModelsPrintTheVector() {
        Cli.Result r = cli.run("run", "embedder", "some text", "--dimensions", "3");
        assertEquals(0, r.code(), r.toString());
        assertEquals("[0.5,-0.25,1.0]\n", r.out());
        JsonNode req = fake.bodies("/api/embed").getFirst();
        assertEquals("some text", req.path("input").asString());
        assertEquals(3, req.path("dimensions").asInt());
        Cli.Result none = cli.run("run", "embedder");
        assertEquals(1, none.code());
        assertEquals("Error: embedding models require input text. Usage: jollama run embedder \"your text here\"\n", none.err());
    }

    @Test
    void badThinkValueIsRefused() {
        Cli.Result r = cli.run("run", "m", "hi", "--think=lots");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("Error: invalid value for --think: \"lots\""), r.err());
    }

    @Test
    void missingModelIsPulledWithProgressFirst() {
        Cli.Result r = cli.run("run", "missing", "hi");
        assertEquals(0, r.code(), r.toString());
        // stdout is not a terminal: plain progress lines, the layer's first empty update skipped
        assertEquals("""
                pulling manifest
                pulling 0123456789ab: 50% 1 MB/2 MB
                pulling 0123456789ab: 100% 2 MB/2 MB
                verifying sha256 digest
                writing manifest
                success
                echo: hi
                """, r.out());
        assertEquals(List.of("/api/show", "/api/pull", "/api/show", "/api/generate"),
                fake.requests.stream().map(FakeOllama.Request::path).toList());
    }

    @Test
    void interactiveSessionInATerminal() {
        Cli.Result r = cli.runInTerminal(List.of(
                "/set parameter temperature 0\n", Cli.PROMPT,
                "/set parameter num_predict many\n", Cli.PROMPT,
                "\"\"\"first line\n", "second line\n", "\"\"\"\n", Cli.PROMPT,
                "/set system Be brief.\n", Cli.PROMPT,
                "/show system\n", Cli.PROMPT,
                "/show parameters\n", Cli.PROMPT,
                "again\n", Cli.PROMPT,
                "/clear\n", Cli.PROMPT,
                "after clear\n", Cli.PROMPT,
                "/nope\n", Cli.PROMPT,
                "/bye\n"), "run", "m");
        assertEquals(0, r.code(), r.toString());
        String out = r.out();
        assertTrue(out.contains("Set parameter 'temperature' to '0'"), out);
        assertTrue(out.contains("Couldn't set parameter: invalid int value [many]"), out);
        assertTrue(out.contains("You said: first line\nsecond line"), out);
        assertTrue(out.contains("Set system message."), out);
        assertTrue(out.contains("Be brief."), out);
        assertTrue(out.contains("Model defined parameters:"), out);
        assertTrue(out.matches("(?s).*User defined parameters:\ntemperature +0\\.0.*"), out);
        assertTrue(out.contains("You said: again"), out);
        assertTrue(out.contains("Cleared session context"), out);
        assertTrue(out.contains("Unknown command '/nope'. Type /? for help"), out);

        // first a load request, then one chat request per message with the accumulated history
        JsonNode load = fake.bodies("/api/generate").getFirst();
        assertEquals("", load.path("prompt").asString());
        List<JsonNode> chats = fake.bodies("/api/chat");
        assertEquals(3, chats.size(), fake.requests.toString());
        assertEquals("first line\nsecond line\n", chats.get(0).path("messages").get(0).path("content").asString());
        assertEquals(0.0, chats.get(0).path("options").path("temperature").asDouble());
        JsonNode second = chats.get(1).path("messages");
        assertEquals(4, second.size(), second.toString());
        assertEquals("assistant", second.get(1).path("role").asString());
        assertEquals("You said: first line\nsecond line\n", second.get(1).path("content").asString());
        assertEquals("system", second.get(2).path("role").asString());
        assertEquals("Be brief.", second.get(2).path("content").asString());
        assertEquals("again", second.get(3).path("content").asString());
        JsonNode third = chats.get(2).path("messages");
        assertEquals(2, third.size(), "after /clear only the system message stays: " + third);
        assertEquals("system", third.get(0).path("role").asString());
        assertEquals("after clear", third.get(1).path("content").asString());
        JsonNode show = fake.bodies("/api/show").getLast();
        assertEquals("Be brief.", show.path("system").asString(), "/show sends the session's system message");
    }

    @Test
    void ctrlCStopsTheAnswerNotTheSession() {
        Cli.Result r = cli.runInTerminal(List.of("slow\n", new Cli.WaitFor("tick2 "), "\u0003",
                Cli.PROMPT, "hello\n", "/bye\n"), "run", "m");
        assertEquals(0, r.code(), r.toString());
        String out = r.out();
        assertTrue(out.contains("tick2 "), out);
        assertFalse(out.contains("tick59"), "the answer was cut short: " + out);
        assertTrue(out.contains("You said: hello"), "the session goes on: " + out);
    }

    @Test
    void loadSwitchesModelAndClearsHistory() {
        Cli.Result r = cli.runInTerminal(List.of("hi\n", "/load missing\n", "hello\n", "/set think\n", "/? show\n",
                "/bye\n"), "run", "m");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Loading model 'missing'"), r.out());
        assertTrue(r.out().contains("warning: model 'missing' does not support thinking output"), r.out());
        assertTrue(r.out().contains("/show modelfile    Show Modelfile for this model"), r.out());
        List<JsonNode> chats = fake.bodies("/api/chat");
        assertEquals(2, chats.size());
        assertEquals("missing", chats.get(1).path("model").asString());
        assertEquals(1, chats.get(1).path("messages").size(), "history cleared on /load");
        assertEquals(List.of("/api/show", "/api/generate", "/api/chat", "/api/show", "/api/pull", "/api/show",
                "/api/generate", "/api/chat"), fake.requests.stream().map(FakeOllama.Request::path).toList());
    }

    @Test
    void ctrlCOnAnEmptyLineExplainsAndCtrlDQuits() {
        Cli.Result r = cli.runInTerminal(List.of("/?\n", new Cli.WaitFor("multi-line message."), Cli.PROMPT, "\u0003",
                new Cli.WaitFor("Use Ctrl + d or /bye to exit."), Cli.PROMPT, "\u0004"), "run", "m");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("/bye            Exit"), r.out());
        assertTrue(fake.bodies("/api/chat").isEmpty());
    }
}
