package dev.gatehouse.helm;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Just enough of a Kubernetes API server on a loopback port for the chart's {@code lookup} of the
 * channel token Secret: discovery of {@code v1} and GET of one Secret (404 unless {@link #putSecret}).
 *
 * <p>Why it exists: helm-java 0.0.16 renders {@code template} as a dry-run install that still
 * calls the API server for {@code lookup} (the {@code helm} CLI does not). Surefire points
 * {@code KUBECONFIG} at {@code target/kubeconfig.yaml}, which {@link #start()} writes before the first
 * Helm call. Nothing leaves the machine.
 */
final class FakeKubeApi {
    static final Path KUBECONFIG = Path.of("target/kubeconfig.yaml");
    private static FakeKubeApi instance;

    private final HttpServer server;
    private final Map<String, String> secrets = new ConcurrentHashMap<>();

    private FakeKubeApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(null);
        server.start();
    }

    /** Starts the server once per JVM and writes the kubeconfig that names it. */
    static synchronized FakeKubeApi start() {
        if (instance == null) {
            try {
                instance = new FakeKubeApi();
                String url = "http://127.0.0.1:" + instance.server.getAddress().getPort();
                Files.createDirectories(KUBECONFIG.getParent());
                Files.writeString(KUBECONFIG, """
                        apiVersion: v1
                        kind: Config
                        clusters: [{name: fake, cluster: {server: "%s"}}]
                        users: [{name: fake, user: {token: fake}}]
                        contexts: [{name: fake, context: {cluster: fake, user: fake}}]
                        current-context: fake
                        """.formatted(url));
                Runtime.getRuntime().addShutdownHook(new Thread(() -> instance.server.stop(0)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** Serves a Secret with {@code data.token} = base64(token) at namespace/name. */
    void putSecret(String namespace, String name, String token) {
        String data = Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8));
        secrets.put(namespace + "/" + name, """
                {"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s","namespace":"%s"},"type":"Opaque","data":{"token":"%s"}}
                """.formatted(name, namespace, data));
    }

    /** Serves a Secret of {@code type} with these {@code data} entries (values already base64). */
    void putSecret(String namespace, String name, String type, Map<String, String> data) {
        StringBuilder json = new StringBuilder();
        data.forEach((k, v) -> json.append(json.length() == 0 ? "" : ",").append('"').append(k).append("\":\"").append(v).append('"'));
        secrets.put(namespace + "/" + name, """
                {"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s","namespace":"%s"},"type":"%s","data":{%s}}
                """.formatted(name, namespace, type, json));
    }

    void removeSecret(String namespace, String name) {
        secrets.remove(namespace + "/" + name);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String[] parts = path.split("/");
        String body;
        int status = 200;
        if (path.equals("/api")) {
            body = "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[]}";
        } else if (path.equals("/apis")) {
            body = "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}";
        } else if (path.equals("/api/v1")) {
            body = "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":[{\"name\":\"secrets\","
                    + "\"singularName\":\"secret\",\"namespaced\":true,\"kind\":\"Secret\",\"verbs\":[\"get\",\"list\"]}]}";
        } else if (parts.length == 7 && path.startsWith("/api/v1/namespaces/") && parts[5].equals("secrets")
                && secrets.containsKey(parts[4] + "/" + parts[6])) {
            body = secrets.get(parts[4] + "/" + parts[6]);
        } else {
            status = 404;
            body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404,"
                    + "\"message\":\"not found: " + path + "\"}";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
