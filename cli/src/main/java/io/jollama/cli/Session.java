package io.jollama.cli;

import io.jollama.client.Api.Message;
import io.jollama.client.Api.ShowResponse;
import io.jollama.client.OllamaClient;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The state of a {@code run}: model, options set with {@code /set}, and the chat history. */
final class Session {

    final Invocation io;
    final OllamaClient client;
    String model;
    ShowResponse info;
    String format;
    final String keepAlive;
    Object think;
    final boolean hideThinking;
    boolean verbose;
    boolean wordWrap;
    final Map<String, Object> options = new LinkedHashMap<>();
    final List<Message> messages = new ArrayList<>();
    String system;

    Session(Invocation io, OllamaClient client, String model, ShowResponse info, String format, String keepAlive, Object think,
            boolean hideThinking, boolean verbose, boolean wordWrap) {
        this.io = io;
        this.client = client;
        this.model = model;
        this.info = info;
        this.format = format == null || format.isEmpty() ? null : format;
        this.keepAlive = keepAlive;
        this.think = think;
        this.hideThinking = hideThinking;
        this.verbose = verbose;
        this.wordWrap = wordWrap;
    }
}
