package dev.gatehouse.app;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.Http2Config;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.TransportChoice;
import dev.gatehouse.proxy.UpstreamKeepalive;
import dev.gatehouse.proxy.http.TrustedProxies;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import dev.gatehouse.proxy.observe.TracingConfig;
import dev.gatehouse.proxy.tls.TlsConfig;
import dev.gatehouse.proxy.tls.TlsProvider;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/** The listening options every command that runs a proxy shares. */
final class ProxyOptions {
    @Option(names = "--address", paramLabel = "ADDR", defaultValue = "0.0.0.0",
            description = "Address the proxy and status ports bind. Default: ${DEFAULT-VALUE}.")
    String address;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8000",
            description = "Proxy (HTTP) port. Default: ${DEFAULT-VALUE}.")
    int port;

    // --- The TLS port (docs/tls.md) ---

    @Option(names = "--tls-port", paramLabel = "PORT", defaultValue = "8443",
            description = "TLS port (HTTP/1.1 over TLS 1.2/1.3, certificates by SNI). proxy opens it with the first snapshot; "
                    + "local and demo once a snapshot holds a certificate. Default: ${DEFAULT-VALUE}.")
    int tlsPort;

    @Option(names = "--tls-provider", paramLabel = "auto|openssl|jdk", defaultValue = "auto", converter = TlsProviderOption.class,
            description = "TLS implementation: openssl (BoringSSL, bundled for linux-x86_64), jdk, or auto (openssl when it "
                    + "loads, else jdk). Default: ${DEFAULT-VALUE}.")
    TlsProvider tlsProvider;

    @Option(names = "--tls-handshake-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationOption.class,
            description = "From accept to the end of the TLS handshake; a slower client is closed. Default: ${DEFAULT-VALUE}.")
    Duration tlsHandshakeTimeout;

    @Option(names = "--https-redirect-port", paramLabel = "PORT", defaultValue = "0",
            description = "Port in the Location of a route's httpsRedirect: the port clients reach the TLS port on (e.g. 443 "
                    + "when a Service maps 443 to --tls-port); 443 is left out of the URL. Default: the TLS port.")
    int httpsRedirectPort;

    @Option(names = "--status-port", paramLabel = "PORT", defaultValue = "8100",
            description = "Status port: /healthz, /readyz, /status, /metrics. Read-only, no secrets. Default: ${DEFAULT-VALUE}.")
    int statusPort;

    @Option(names = "--io-threads", paramLabel = "N",
            description = "Event-loop threads. Default: one per available processor.")
    Integer ioThreads;

    @Option(names = "--transport", paramLabel = "auto|io_uring|epoll|nio", defaultValue = "auto", converter = TransportOption.class,
            description = "Socket transport of the event loops: io_uring (Linux 5.19+, allowed by the container's seccomp "
                    + "profile), epoll, nio, or auto (io_uring where it runs, else epoll, else nio). One asked for by name "
                    + "that cannot run here stops the start with the reason. Default: ${DEFAULT-VALUE}.")
    TransportChoice transport;

    @Option(names = "--drain-delay", paramLabel = "DURATION", defaultValue = "5s", converter = DurationOption.class,
            description = "On SIGTERM /readyz answers 503 at once, and the proxy port keeps accepting this long (every "
                    + "response saying Connection: close) so endpoint controllers and load balancers stop sending new "
                    + "connections before it closes. Default: ${DEFAULT-VALUE}.")
    Duration drainDelay;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = DurationOption.class,
            description = "Once the drain delay is over and the port closed, how long in-flight requests may finish; "
                    + "then what is left is closed and the process exits. Default: 30s.")
    Duration drainTimeout;

    /** Deprecated: kept so existing command lines still start; see {@link #drainTimeout()}. */
    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", hidden = true,
            description = "Deprecated alias of --drain-timeout, in seconds.")
    Integer shutdownGraceSeconds;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--metrics-drain-wait", paramLabel = "DURATION", defaultValue = "2s", converter = DurationOption.class,
            description = "How long a scrape of /metrics waits, in all, for the event loops to record their request timers; "
                    + "a loop still busy then keeps them for the next scrape, logged (event=metrics.drain_late) and counted "
                    + "(gatehouse_metrics_drain_late_total). Default: ${DEFAULT-VALUE}.")
    Duration metricsDrainWait;

    @Option(names = "--upstream-keepalive-idle-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationOption.class,
            description = "How long a connection to a target may stay unused before the proxy closes it (keep it under the "
                    + "targets' own keep-alive timeout, so the proxy closes first). Default: ${DEFAULT-VALUE}.")
    Duration upstreamKeepaliveIdleTimeout;

    @Option(names = "--upstream-keepalive-max-requests", paramLabel = "N", defaultValue = "10000",
            description = "The most requests one connection to a target carries; each connection closes after its own "
                    + "limit, drawn between 90%% and all of N. Default: ${DEFAULT-VALUE}.")
    int upstreamKeepaliveMaxRequests;

    @Option(names = "--access-log", paramLabel = "off|stdout|FILE", defaultValue = "stdout", converter = AccessLogOption.class,
            description = "Access log, one JSON line per request: off, stdout, or a file to append to. Default: ${DEFAULT-VALUE}.")
    AccessLogDestination accessLog;

    @Option(names = "--request-head-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationOption.class,
            description = "From the first byte of a request to the end of its head; a slower client gets 408. Default: ${DEFAULT-VALUE}.")
    Duration requestHeadTimeout;

    @Option(names = "--client-idle-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationOption.class,
            description = "A client connection silent this long between requests, or in a request body, is closed. Default: ${DEFAULT-VALUE}.")
    Duration clientIdleTimeout;

    @Option(names = "--max-requests-per-connection", paramLabel = "N", defaultValue = "1000",
            description = "The response to a connection's N-th request carries Connection: close. Default: ${DEFAULT-VALUE}.")
    int maxRequestsPerConnection;

    @Option(names = "--max-request-line", paramLabel = "BYTES", defaultValue = "8192",
            description = "Longest request line (method, target, version); longer gets 414. Default: ${DEFAULT-VALUE}.")
    int maxRequestLine;

    @Option(names = "--max-header-size", paramLabel = "BYTES", defaultValue = "61440",
            description = "Largest request header block; larger gets 431. Default: ${DEFAULT-VALUE} (60 KiB).")
    int maxHeaderSize;

    @Option(names = "--max-headers", paramLabel = "N", defaultValue = "100",
            description = "Most header fields in one request; more gets 431. Default: ${DEFAULT-VALUE}.")
    int maxHeaders;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
            description = "Client connections open at once; beyond it new ones are closed at accept and counted. Default: ${DEFAULT-VALUE}.")
    int maxConnections;

    // --- HTTP/2 towards clients (docs/proxy.md, "HTTP/2") ---

    @Option(names = "--http2", negatable = true, defaultValue = "true", fallbackValue = "true", arity = "0..1",
            paramLabel = "true|false",
            description = "Speak HTTP/2 to clients: h2c with prior knowledge on the proxy port, h2 by ALPN on the TLS "
                    + "port; --no-http2 answers the HTTP/2 preface 505 like any unknown version and offers only "
                    + "http/1.1 in ALPN. Default: ${DEFAULT-VALUE}.")
    boolean http2;

    @Option(names = "--http2-max-concurrent-streams", paramLabel = "N", defaultValue = "100",
            description = "Streams one HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); "
                    + "one more is refused with RST_STREAM REFUSED_STREAM. Default: ${DEFAULT-VALUE}.")
    int http2MaxConcurrentStreams;

    @Option(names = "--http2-initial-window-size", paramLabel = "BYTES", defaultValue = "65535",
            description = "Request body bytes an HTTP/2 stream may send ahead of the target taking them "
                    + "(SETTINGS_INITIAL_WINDOW_SIZE); a connection may send this times the stream limit. "
                    + "Default: ${DEFAULT-VALUE}.")
    int http2InitialWindowSize;

    // --- Exposure: where the status port listens, and whose X-Forwarded-* headers are believed ---

    @Option(names = "--status-address", paramLabel = "ADDR[,ADDR...]", split = ",",
            description = "Addresses the status port binds (it shows routes and targets). Default: 127.0.0.1 in local and demo; "
                    + "the --address value in proxy (the Helm chart passes the pod IP and 127.0.0.1).")
    List<String> statusAddresses;

    @Option(names = "--trusted-proxies", paramLabel = "CIDR[,CIDR...]", defaultValue = "", converter = TrustedProxiesOption.class,
            description = "Peers (IPv4/IPv6 CIDR blocks) whose X-Forwarded-For/-Proto/-Host/-Port are kept and appended to; "
                    + "from any other peer they are replaced, and the peer is the client. Default: none.")
    TrustedProxies trustedProxies;

    // --- Tracing (docs/tracing.md): off unless --tracing-endpoint is given ---

    @Option(names = "--tracing-endpoint", paramLabel = "URL",
            description = "OTLP/HTTP receiver for spans, e.g. http://otel-collector:4318 (/v1/traces is added to a URL "
                    + "without a path). Turns tracing on: W3C traceparent/tracestate to targets, one span per request, "
                    + "trace_id in the access log. Default: off.")
    URI tracingEndpoint;

    @Option(names = "--tracing-sample-ratio", paramLabel = "0..1", defaultValue = "1.0",
            description = "Share of new traces that get a span; a client's traceparent decides for its own requests "
                    + "(its sampled flag). Default: ${DEFAULT-VALUE}.")
    double tracingSampleRatio;

    @Option(names = "--tracing-service-name", paramLabel = "NAME", defaultValue = TracingConfig.DEFAULT_SERVICE_NAME,
            description = "service.name of the spans. Default: ${DEFAULT-VALUE}.")
    String tracingServiceName;

    @Option(names = "--tracing-queue-size", paramLabel = "N", defaultValue = "2048",
            description = "Spans waiting for export at most; more are dropped and counted in "
                    + "gatehouse_tracing_spans_total{outcome=\"dropped\"}. Default: ${DEFAULT-VALUE}.")
    int tracingQueueSize;

    @Option(names = "--tracing-export-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationOption.class,
            description = "How long one export of a batch of spans may take; then it counts as failed. Default: ${DEFAULT-VALUE}.")
    Duration tracingExportTimeout;

    @Option(names = "--tracing-batch-delay", paramLabel = "DURATION", defaultValue = "5s", converter = DurationOption.class,
            description = "How long a span may wait for its batch to fill before the batch is sent (sooner once 512 wait). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration tracingBatchDelay;

    /** The tracing flags ({@link TracingConfig#OFF} without an endpoint); a value out of range is a usage error naming its flag. */
    TracingConfig tracing() {
        if (tracingEndpoint == null) {
            return TracingConfig.OFF;
        }
        try {
            return TracingConfig.to(tracingEndpoint).withSampleRatio(tracingSampleRatio).withServiceName(tracingServiceName)
                    .withQueueSize(tracingQueueSize).withExportTimeout(tracingExportTimeout)
                    .withBatchDelay(tracingBatchDelay);
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            int colon = message.indexOf(':');
            String component = colon < 0 ? "" : message.substring(0, colon);
            String flag = "--tracing-" + component.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
            throw new ParameterException(command == null ? null : command.commandLine(),
                    colon < 0 ? message : flag + message.substring(colon));
        }
    }

    /**
     * Where the status port listens: {@code --status-address}, else {@code commandDefault}.
     *
     * @throws IllegalStateException for an empty entry (the commands report it as they report a bind failure)
     */
    List<String> statusAddresses(String commandDefault) {
        if (statusAddresses == null || statusAddresses.isEmpty()) {
            return List.of(commandDefault);
        }
        List<String> out = statusAddresses.stream().map(String::strip).toList();
        if (out.stream().anyMatch(String::isEmpty)) {
            throw new IllegalStateException("--status-address: an empty address in '" + String.join(",", statusAddresses)
                    + "' (expected: e.g. 127.0.0.1 or 10.1.2.3,127.0.0.1)");
        }
        return out;
    }

    /** {@code CIDR[,CIDR...]}; the error names the entry and the fix (picocli prefixes the option). */
    static final class TrustedProxiesOption implements ITypeConverter<TrustedProxies> {
        @Override
        public TrustedProxies convert(String value) {
            try {
                return TrustedProxies.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage().replaceFirst("^" + TrustedProxies.FLAG + ": ", ""));
            }
        }
    }

    // --- end of exposure options ---

    /** A Kubernetes-style duration: {@code 10s}, {@code 500ms}, {@code 1m}. */
    static final class DurationOption implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Duration.ofMillis(dev.gatehouse.config.Durations.parseMillis(value));
        }
    }

    /** {@code auto}, {@code openssl} or {@code jdk}. */
    static final class TlsProviderOption implements ITypeConverter<TlsProvider> {
        @Override
        public TlsProvider convert(String value) {
            try {
                return TlsProvider.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage().replaceFirst("^tlsProvider: ", ""));
            }
        }
    }

    /** {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}. */
    static final class TransportOption implements ITypeConverter<TransportChoice> {
        @Override
        public TransportChoice convert(String value) {
            try {
                return TransportChoice.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage().replaceFirst("^transport: ", ""));
            }
        }
    }

    /** {@code off}, {@code stdout} or a file path. */
    static final class AccessLogOption implements ITypeConverter<AccessLogDestination> {
        @Override
        public AccessLogDestination convert(String value) {
            return AccessLogDestination.parse(value);
        }
    }

    /** For {@code gatehouse proxy}: the TLS port opens with the first snapshot. */
    ProxyConfig config() {
        return new ProxyConfig(address, port, ioThreads == null ? Runtime.getRuntime().availableProcessors() : ioThreads,
                drainDelay, drainTimeout(), limits()).withTrustedProxies(trustedProxies).withTls(tls(true)).withHttp2(http2Config())
                .withTracing(tracing()).withTransport(transport).withMetricsDrainWait(metricsDrainWait)
                .withUpstreamKeepalive(upstreamKeepalive());
    }

    /** The upstream keep-alive flags; a value out of range is a usage error naming its flag. */
    private UpstreamKeepalive upstreamKeepalive() {
        try {
            return new UpstreamKeepalive(upstreamKeepaliveIdleTimeout, upstreamKeepaliveMaxRequests);
        } catch (IllegalArgumentException e) {
            throw usageError(e, component -> component.equals("idleTimeout") ? "--upstream-keepalive-idle-timeout"
                    : "--upstream-keepalive-max-requests");
        }
    }

    /** For {@code local} and {@code demo}: the TLS port opens once a snapshot holds a certificate. */
    ProxyConfig localConfig() {
        return config().withTls(tls(false));
    }

    /** The TLS flags; a value out of range is a usage error naming its flag. */
    TlsConfig tls(boolean alwaysOpen) {
        try {
            return new TlsConfig(true, tlsPort, tlsProvider, tlsHandshakeTimeout, alwaysOpen, httpsRedirectPort);
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage())
                    .replaceFirst("^tlsPort:", "--tls-port:")
                    .replaceFirst("^httpsRedirectPort:", "--https-redirect-port:")
                    .replaceFirst("^tlsHandshakeTimeout:", "--tls-handshake-timeout:");
            throw new ParameterException(command == null ? null : command.commandLine(), message);
        }
    }

    /** The HTTP/2 settings; a value out of range is a usage error naming its flag. */
    Http2Config http2Config() {
        try {
            return Http2Config.DEFAULTS.withEnabled(http2).withMaxConcurrentStreams(http2MaxConcurrentStreams)
                    .withInitialWindowSize(http2InitialWindowSize);
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            String flag = message.startsWith("maxConcurrentStreams") ? "--http2-max-concurrent-streams"
                    : "--http2-initial-window-size";
            int colon = message.indexOf(':');
            throw new ParameterException(command == null ? null : command.commandLine(),
                    flag + (colon < 0 ? ": " + message : message.substring(colon)));
        }
    }

    /**
     * {@code --drain-timeout}, or the deprecated {@code --shutdown-grace SECONDS} (same meaning
     * since the drain delay exists: the time in-flight requests get once the port is closed), with
     * a warning on stderr; both at once is refused.
     */
    Duration drainTimeout() {
        if (shutdownGraceSeconds == null) {
            return drainTimeout == null ? ProxyConfig.DEFAULT_DRAIN_TIMEOUT : drainTimeout;
        }
        CommandLine cli = command == null ? null : command.commandLine();
        if (drainTimeout != null) {
            throw new ParameterException(cli, "--shutdown-grace is a deprecated alias of --drain-timeout; give only "
                    + "--drain-timeout " + drainTimeout.toSeconds() + "s");
        }
        if (shutdownGraceSeconds < 0) {
            throw new ParameterException(cli, "--shutdown-grace: " + shutdownGraceSeconds + " (expected: >= 0 seconds)");
        }
        if (cli != null) {
            cli.getErr().println("gatehouse: --shutdown-grace is deprecated and will be removed; use --drain-timeout "
                    + shutdownGraceSeconds + "s");
            cli.getErr().flush();
        }
        return Duration.ofSeconds(shutdownGraceSeconds);
    }

    /**
     * The longest a signal's shutdown may take: the drain (delay + timeout) and a margin for the
     * rest of the teardown; see {@link Shutdown#register(Duration)}.
     */
    Duration shutdownBudget() {
        return drainDelay.plus(drainTimeout()).plus(Shutdown.TEARDOWN_MARGIN);
    }

    /** The client limits; a value out of range is a usage error naming its flag, not a stack trace. */
    ClientLimits limits() {
        try {
            return new ClientLimits(requestHeadTimeout, clientIdleTimeout, maxRequestsPerConnection, maxRequestLine, maxHeaderSize,
                    maxHeaders, maxConnections);
        } catch (IllegalArgumentException e) {
            throw usageError(e, component -> component.equals("idleTimeout") ? "--client-idle-timeout"
                    : "--" + component.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT));
        }
    }

    /**
     * A config record's refusal of a value as the usage error of the flag the user wrote: the records
     * (ClientLimits, UpstreamKeepalive) say "&lt;component&gt;: &lt;value&gt; (expected: …)", and
     * {@code flagOf} names the component's flag.
     */
    private ParameterException usageError(IllegalArgumentException e, java.util.function.UnaryOperator<String> flagOf) {
        String message = String.valueOf(e.getMessage());
        int colon = message.indexOf(':');
        return new ParameterException(command == null ? null : command.commandLine(),
                colon < 0 ? message : flagOf.apply(message.substring(0, colon)) + message.substring(colon));
    }
}
