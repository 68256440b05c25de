package io.jollama.server.api;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

/** One route: method, path (Javalin syntax, {@code {name}} for path parameters) and its handler. */
public record Route(HandlerType method, String path, Handler handler) {

    public static Route get(String path, Handler h) { return new Route(HandlerType.GET, path, h); }
    public static Route head(String path, Handler h) { return new Route(HandlerType.HEAD, path, h); }
    public static Route post(String path, Handler h) { return new Route(HandlerType.POST, path, h); }
    public static Route delete(String path, Handler h) { return new Route(HandlerType.DELETE, path, h); }
}
