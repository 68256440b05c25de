package io.jollama.server.api;

import io.javalin.http.Context;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Ollama's two request gates, applied before every route: CORS (origins from {@code OLLAMA_ORIGINS} plus the local
 * built-ins, wildcards allowed; unknown origins get 403, preflights 204) and, when bound to a loopback address, the
 * Host-header guard against DNS rebinding (403 for foreign host names).
 */
public final class AccessGuard {

    static final String ALLOW_HEADERS = "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, "
            + "x-stainless-arch, x-stainless-async, x-stainless-custom-poll-interval, x-stainless-helper-method, "
            + "x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-poll-helper, "
            + "x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout";
    static final String ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";

    private final List<String> origins;
    private final boolean guardHost;
    private final Set<InetAddress> localAddresses;
    private final String hostname;

    /**
     * @param origins   allowed origins (wildcard {@code *} matches any run of characters)
     * @param bindHost  the address the server listens on; the Host guard is on only when it is loopback
     */
    public AccessGuard(List<String> origins, String bindHost) {
        this.origins = List.copyOf(origins);
        this.guardHost = isLoopback(bindHost);
        this.localAddresses = interfaceAddresses();
        String h = "";
        try {
            h = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        } catch (UnknownHostException e) {
            // no hostname: only the other rules apply
        }
        this.hostname = h;
    }

    /** Whether the bind address is loopback only (an empty or wildcard address is not). */
    public static boolean isLoopback(String bindHost) {
        if (bindHost == null || bindHost.isEmpty()) return false;
        try {
            return InetAddress.getByName(bindHost).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> s = new HashSet<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                s.addAll(Collections.list(ni.getInetAddresses()));
            }
        } catch (SocketException | RuntimeException e) {
            // none known
        }
        return s;
    }

    /**
     * Checks the request; returns false (after setting the answer) when it must not reach a route.
     */
    public boolean admit(Context ctx) {
        String origin = ctx.header("Origin");
        String host = ctx.header("Host");
        host = host == null ? "" : host;
        boolean preflight = ctx.method().name().equals("OPTIONS");
        if (origin != null && !origin.isEmpty() && !origin.equals("http://" + host) && !origin.equals("https://" + host)) {
            if (!originAllowed(origin)) {
                ctx.status(403);
                ctx.result("");
                return false;
            }
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Vary", "Origin");
            if (preflight) {
                ctx.header("Access-Control-Allow-Methods", ALLOW_METHODS);
                ctx.header("Access-Control-Allow-Headers", ALLOW_HEADERS);
                ctx.header("Access-Control-Max-Age", "43200");
                ctx.status(204);
                ctx.result("");
                return false;
            }
        }
        if (!guardHost) return true;
        String name = hostOnly(host);
        InetAddress ip = literalAddress(name);
        if (ip != null) {
            if (ip.isLoopbackAddress() || ip.isSiteLocalAddress() || isUniqueLocal(ip) || ip.isAnyLocalAddress()
                    || localAddresses.contains(ip)) {
                return true;
            }
        } else if (allowedHostName(name.toLowerCase(Locale.ROOT))) {
            if (preflight) {
                ctx.status(204);
                ctx.result("");
                return false;
            }
            return true;
        }
        ctx.status(403);
        ctx.result("");
        return false;
    }

    private boolean allowedHostName(String h) {
        if (h.isEmpty() || h.equals("localhost")) return true;
        if (!hostname.isEmpty() && h.equals(hostname)) return true;
        return h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal");
    }

    /** The Host header without its port ({@code [::1]:80} → {@code ::1}). */
    static String hostOnly(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(1, end) : host;
        }
        int c = host.indexOf(':');
        if (c >= 0 && host.indexOf(':', c + 1) < 0) return host.substring(0, c);
        return host;
    }

    /** The address when {@code s} is an IP literal (never a DNS lookup), else null. */
    private static InetAddress literalAddress(String s) {
        if (s.isEmpty()) return null;
        boolean v4 = s.chars().allMatch(ch -> (ch >= '0' && ch <= '9') || ch == '.') && s.chars().filter(ch -> ch == '.').count() == 3;
        boolean v6 = s.contains(":") && s.chars().allMatch(ch -> Character.digit(ch, 16) >= 0 || ch == ':' || ch == '.');
        if (!v4 && !v6) return null;
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** IPv6 unique local fc00::/7, which Go counts as private. */
    private static boolean isUniqueLocal(InetAddress ip) {
        byte[] b = ip.getAddress();
        return b.length == 16 && (b[0] & 0xFE) == 0xFC;
    }

    boolean originAllowed(String origin) {
        for (String pattern : origins) {
            if (pattern.equals("*") || glob(pattern, origin)) return true;
        }
        return false;
    }

    private static boolean glob(String pattern, String s) {
        int star = pattern.indexOf('*');
        if (star < 0) return pattern.equals(s);
        String prefix = pattern.substring(0, star), suffix = pattern.substring(star + 1);
        return s.length() >= prefix.length() + suffix.length() && s.startsWith(prefix) && glob2(suffix, s.substring(prefix.length()));
    }

    private static boolean glob2(String rest, String s) {
        if (!rest.contains("*")) return s.endsWith(rest);
        for (int i = 0; i <= s.length(); i++) if (glob(rest, s.substring(i))) return true;
        return false;
    }
}
