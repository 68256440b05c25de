package io.jollama.server.api;

import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * Whether the client of a request has gone away, for a request that waits (in the scheduler's queue) before it writes
 * anything. Ollama notices through Go's request context, which Go's server cancels when a background read of the
 * connection sees EOF. Jetty does not read an HTTP/1.1 connection while its request is being handled, so a close is
 * only seen at the next write; this check reads the connection itself (non-blocking). End of stream means the client
 * is gone. Bytes mean the client pipelined another request; they cannot be handed back to Jetty, so the connection is
 * closed after this response (RFC 9112 §9.3.2: the client retries requests a closed connection left unanswered).
 * Must be called on the handler's thread, before the response is committed.
 */
public final class ClientConnection implements BooleanSupplier {

    private final Context ctx;
    private final EndPoint endPoint;
    private volatile boolean failed;
    private boolean gone;
    private boolean pipelined;

    private ClientConnection(Context ctx) {
        this.ctx = ctx;
        Request request = ServletContextRequest.getServletContextRequest(ctx.req());
        this.endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        request.addFailureListener(failure -> failed = true);
    }

    public static BooleanSupplier of(Context ctx) {
        return new ClientConnection(ctx);
    }

    @Override
    public boolean getAsBoolean() {
        if (gone || failed) return true;
        if (pipelined) return false;
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) return gone = true;
        try {
            int n = endPoint.fill(BufferUtil.allocate(1));
            if (n < 0) return gone = true;
            if (n > 0) {
                pipelined = true;
                if (!ctx.res().isCommitted()) ctx.header("Connection", "close");
            }
            return false;
        } catch (IOException e) {
            return gone = true;
        }
    }
}
