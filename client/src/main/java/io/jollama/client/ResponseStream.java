package io.jollama.client;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The objects of an NDJSON response, read one line at a time as the server sends them. A line
 * {@code {"error":"..."}} throws an {@link OllamaException}. {@link #close()} ends the exchange (also from another
 * thread, to cancel a generation: the server sees the client go away and stops).
 */
public final class ResponseStream<T> implements Iterable<T>, AutoCloseable {

    private final InputStream body;
    private final BufferedReader reader;
    private final JsonMapper mapper;
    private final Class<T> type;
    private final int status;
    private volatile boolean closed;

    ResponseStream(InputStream body, JsonMapper mapper, Class<T> type, int status) {
        this.body = body;
        this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        this.mapper = mapper;
        this.type = type;
        this.status = status;
    }

    /** The next object, or null at the end of the stream (or once closed). */
    public T next() {
        if (closed) return null;
        String line;
        try {
            do {
                line = reader.readLine();
            } while (line != null && line.isBlank());
        } catch (IOException e) {
            if (closed) return null;
            throw new UncheckedIOException("reading the server's answer: " + e.getMessage(), e);
        }
        if (line == null) return null;
        JsonNode node = mapper.readTree(line);
        JsonNode error = node.get("error");
        if (error != null && !error.isNull()) throw new OllamaException(status, OllamaClient.withMessage(node));
        return mapper.treeToValue(node, type);
    }

    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            T pending;

            @Override
            public boolean hasNext() {
                if (pending == null) pending = ResponseStream.this.next();
                return pending != null;
            }

            @Override
            public T next() {
                if (!hasNext()) throw new NoSuchElementException();
                T t = pending;
                pending = null;
                return t;
            }
        };
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        try {
            body.close();
        } catch (IOException ignored) {
            // closing only aborts the exchange; nothing to report
        }
    }
}
