package dev.gatehouse.app;

import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.time.Duration;

/** The listening options every command that runs a proxy shares. */
final class ProxyOptions {
    @Option(names = "--address", paramLabel = "ADDR", defaultValue = "0.0.0.0",
            description = "Address the proxy and status ports bind. Default: ${DEFAULT-VALUE}.")
    String address;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8000",
            description = "Proxy (HTTP) port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--status-port", paramLabel = "PORT", defaultValue = "8100",
            description = "Status port: /healthz, /readyz, /status, /metrics. Read-only, no secrets. Default: ${DEFAULT-VALUE}.")
    int statusPort;

    @Option(names = "--io-threads", paramLabel = "N",
            description = "Event-loop threads. Default: one per available processor.")
    Integer ioThreads;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", defaultValue = "10",
            description = "On SIGTERM, how long in-flight requests may finish. Default: ${DEFAULT-VALUE}.")
    int shutdownGraceSeconds;

    @Option(names = "--access-log", paramLabel = "off|stdout|FILE", defaultValue = "stdout", converter = AccessLogOption.class,
            description = "Access log, one JSON line per request: off, stdout, or a file to append to. Default: ${DEFAULT-VALUE}.")
    AccessLogDestination accessLog;

    /** {@code off}, {@code stdout} or a file path. */
    static final class AccessLogOption implements ITypeConverter<AccessLogDestination> {
        @Override
        public AccessLogDestination convert(String value) {
            return AccessLogDestination.parse(value);
        }
    }

    ProxyConfig config() {
        return new ProxyConfig(address, port, ioThreads == null ? Runtime.getRuntime().availableProcessors() : ioThreads,
                Duration.ofSeconds(shutdownGraceSeconds));
    }
}
