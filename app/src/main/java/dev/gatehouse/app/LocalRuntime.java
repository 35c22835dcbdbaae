package dev.gatehouse.app;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.files.LocalSource;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.StatusServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Local mode: the directory source, the translator and an in-process proxy with its status
 * server. Closing stops reading the directory, then lets in-flight requests finish.
 */
public final class LocalRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalRuntime.class);
    private final ProxyServer proxy;
    private final StatusServer status;
    private final LocalSource source;

    private LocalRuntime(ProxyServer proxy, StatusServer status, LocalSource source) {
        this.proxy = proxy;
        this.status = status;
        this.source = source;
    }

    public static LocalRuntime start(Path dir, ProxyConfig config, int statusPort) throws IOException {
        ProxyServer proxy = ProxyServer.start(config);
        StatusServer status = null;
        try {
            status = StatusServer.start(config.address(), statusPort, proxy);
            LocalSource source = new LocalSource(dir, snapshot -> apply(proxy, snapshot)).start();
            log.info("event=local.started dir={} proxy={}:{} status={}:{}", dir, config.address(), proxy.port(),
                    config.address(), status.port());
            return new LocalRuntime(proxy, status, source);
        } catch (IOException | RuntimeException e) {
            if (status != null) {
                status.close();
            }
            proxy.close();
            throw e;
        }
    }

    private static void apply(ProxyServer proxy, Snapshot snapshot) {
        List<Problem> problems = proxy.apply(snapshot);
        if (problems.isEmpty()) {
            log.info("event=snapshot.applied version={}", snapshot.version());
        } else {
            problems.forEach(p -> log.warn("event=snapshot.refused version={} problem=\"{}\"", snapshot.version(),
                    p.toString().replace('"', '\'')));
        }
    }

    public int port() {
        return proxy.port();
    }

    public int statusPort() {
        return status.port();
    }

    public ProxyServer proxy() {
        return proxy;
    }

    @Override
    public void close() {
        source.close();
        proxy.close();
        status.close();
        log.info("event=local.stopped");
    }
}
