package dev.gatehouse.e2e;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One upstream conformance {@code ExpectedResponse} with what the filter tests check beyond the
 * backend: the request the backend received (path, Host, headers present and absent), the response
 * headers the client got (present and absent), and a redirect's {@code Location} part by part, with
 * the upstream suite's defaults ({@code setRedirectRequestDefaults}: an unset host, scheme or path is
 * the request's; an unset port must be the scheme's well-known one or none). Built fluently; {@link
 * #mismatch} says what differs, or null.
 */
final class ExpectedResponse {
    String method = "GET";
    String host;
    final String path;
    final List<String> headers = new ArrayList<>();
    int status = 200;
    String backend;
    String namespace = ConformanceHarness.INFRA;
    String expectedPath;
    String expectedHost;
    final Map<String, String> requestHeaders = new LinkedHashMap<>();
    final List<String> absentRequestHeaders = new ArrayList<>();
    final Map<String, String> responseHeaders = new LinkedHashMap<>();
    final List<String> absentResponseHeaders = new ArrayList<>();
    final Map<String, String> backendSets = new LinkedHashMap<>();
    boolean redirect;
    String redirectScheme;
    String redirectHost;
    String redirectPort;
    String redirectPath;

    private ExpectedResponse(String path) {
        this.path = path;
    }

    static ExpectedResponse get(String path) {
        return new ExpectedResponse(path);
    }

    ExpectedResponse method(String m) {
        method = m;
        return this;
    }

    ExpectedResponse host(String h) {
        host = h;
        return this;
    }

    ExpectedResponse header(String name, String value) {
        headers.add(name);
        headers.add(value);
        return this;
    }

    ExpectedResponse backend(String b) {
        backend = b;
        return this;
    }

    ExpectedResponse status(int s) {
        status = s;
        return this;
    }

    /** The path and query the backend must see. */
    ExpectedResponse seenPath(String p) {
        expectedPath = p;
        return this;
    }

    ExpectedResponse seenHost(String h) {
        expectedHost = h;
        return this;
    }

    ExpectedResponse seenHeader(String name, String value) {
        requestHeaders.put(name, value);
        return this;
    }

    ExpectedResponse notSeen(String... names) {
        absentRequestHeaders.addAll(List.of(names));
        return this;
    }

    /** The suite's BackendSetResponseHeaders: the echo backend sets them (X-Echo-Set-Header). */
    ExpectedResponse backendSets(String name, String value) {
        backendSets.put(name, value);
        return this;
    }

    ExpectedResponse responseHeader(String name, String value) {
        responseHeaders.put(name, value);
        return this;
    }

    ExpectedResponse noResponseHeader(String... names) {
        absentResponseHeaders.addAll(List.of(names));
        return this;
    }

    /** A redirect with this status; null parts take the suite's defaults. */
    ExpectedResponse redirect(int code, String scheme, String toHost, String port, String toPath) {
        status = code;
        redirect = true;
        redirectScheme = scheme;
        redirectHost = toHost;
        redirectPort = port;
        redirectPath = toPath;
        return this;
    }

    String[] requestHeaderArray() {
        List<String> all = new ArrayList<>(headers);
        if (!backendSets.isEmpty()) {
            all.add("X-Echo-Set-Header");
            all.add(String.join(",", backendSets.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).toList()));
        }
        return all.toArray(String[]::new);
    }

    /** What differs between {@code a} and this expectation; null when nothing does. */
    String mismatch(RawGet.Answer a) {
        if (a.status() != status) {
            return "status " + a.status() + " (expected " + status + ")";
        }
        Map<String, String> response = fields(a.headers().split("\r\n"), 1);
        if (redirect) {
            return redirectMismatch(response.get("location"));
        }
        for (Map.Entry<String, String> e : responseHeaders.entrySet()) {
            String got = response.get(e.getKey().toLowerCase(Locale.ROOT));
            if (!e.getValue().equals(got)) {
                return "response header " + e.getKey() + ": " + got + " (expected " + e.getValue() + ")";
            }
        }
        for (String name : absentResponseHeaders) {
            if (response.containsKey(name.toLowerCase(Locale.ROOT))) {
                return "response header " + name + " present (expected absent)";
            }
        }
        if (backend == null) {
            return null;
        }
        String[] lines = a.body().split("\n");
        String first = lines[0];
        String served = first.substring(0, first.indexOf(' '));
        if (!served.equals(backend + "@" + namespace)) {
            return "served by " + served + " (expected " + backend + "@" + namespace + ")";
        }
        String seenPath = first.substring(first.indexOf(' ') + 1, first.indexOf(" host="));
        String want = expectedPath != null ? expectedPath : path;
        if (!seenPath.equals(want)) {
            return "backend saw path " + seenPath + " (expected " + want + ")";
        }
        String seenHost = first.substring(first.indexOf(" host=") + 6);
        if (expectedHost != null && !expectedHost.equals(seenHost)) {
            return "backend saw Host " + seenHost + " (expected " + expectedHost + ")";
        }
        Map<String, String> request = fields(lines, 1);
        for (Map.Entry<String, String> e : requestHeaders.entrySet()) {
            String got = request.get(e.getKey().toLowerCase(Locale.ROOT));
            if (!e.getValue().equals(got)) {
                return "backend saw " + e.getKey() + ": " + got + " (expected " + e.getValue() + ")";
            }
        }
        for (String name : absentRequestHeaders) {
            if (request.containsKey(name.toLowerCase(Locale.ROOT))) {
                return "backend saw " + name + " (expected absent)";
            }
        }
        return null;
    }

    private String redirectMismatch(String location) {
        if (location == null) {
            return "no Location";
        }
        URI uri = URI.create(location);
        String scheme = redirectScheme != null ? redirectScheme : "http";
        if (!scheme.equals(uri.getScheme())) {
            return "Location " + location + ": scheme (expected " + scheme + ")";
        }
        if (redirectHost != null && !redirectHost.equals(uri.getHost())) {
            return "Location " + location + ": host (expected " + redirectHost + ")";
        }
        String port = uri.getPort() < 0 ? "" : Integer.toString(uri.getPort());
        String wellKnown = scheme.equals("https") ? "443" : "80";
        if (redirectPort == null ? !port.isEmpty() && !port.equals(wellKnown) : !redirectPort.equals(port)) {
            return "Location " + location + ": port (expected " + (redirectPort == null ? wellKnown + " or none" : redirectPort) + ")";
        }
        String p = redirectPath != null ? redirectPath : path;
        if (!p.equals(uri.getRawPath())) {
            return "Location " + location + ": path (expected " + p + ")";
        }
        return null;
    }

    /** {@code name: value} lines from {@code from} on, names lower case, values of one name joined with {@code ,}. */
    private static Map<String, String> fields(String[] lines, int from) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = from; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                out.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim(),
                        (x, y) -> x + "," + y);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return method + " " + (host == null ? "" : host) + path + " " + headers;
    }
}
