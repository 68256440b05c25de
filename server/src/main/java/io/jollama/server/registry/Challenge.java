package io.jollama.server.registry;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/** A parsed {@code WWW-Authenticate: Bearer realm="…",service="…",scope="…"} challenge. */
public record Challenge(String realm, String service, String scope) {

    /** Parses the header; missing values are empty strings (an empty header gives three empty values). */
    public static Challenge parse(String header) {
        Map<String, String> values = new HashMap<>();
        String s = header == null ? "" : header.strip();
        if (s.regionMatches(true, 0, "Bearer ", 0, 7)) s = s.substring(7);
        int i = 0;
        while (i < s.length()) {
            while (i < s.length() && (s.charAt(i) == ',' || s.charAt(i) == ' ')) i++;
            int eq = s.indexOf('=', i);
            if (eq < 0) break;
            String key = s.substring(i, eq).strip().toLowerCase();
            int v = eq + 1;
            String value;
            if (v < s.length() && s.charAt(v) == '"') {
                int end = s.indexOf('"', v + 1);
                if (end < 0) end = s.length();
                value = s.substring(v + 1, end);
                i = end + 1;
            } else {
                int end = s.indexOf(',', v);
                if (end < 0) end = s.length();
                value = s.substring(v, end).strip();
                i = end;
            }
            values.put(key, value);
        }
        return new Challenge(values.getOrDefault("realm", ""), values.getOrDefault("service", ""),
                values.getOrDefault("scope", ""));
    }

    /**
     * Ollama refuses a token realm on another host than the request's, so that a registry cannot send the
     * signed token request elsewhere. Compares {@code host[:port]} as written.
     */
    public void requireRealmOn(URI request) {
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(500, "invalid token realm \"" + realm + "\"");
        }
        String realmHost = realmUri.getRawAuthority() == null ? "" : realmUri.getRawAuthority();
        String host = request.getRawAuthority() == null ? "" : request.getRawAuthority();
        if (!realmHost.equalsIgnoreCase(host)) {
            throw new RegistryException(500,
                    "realm host \"" + realmHost + "\" does not match original host \"" + host + "\"");
        }
    }
}
