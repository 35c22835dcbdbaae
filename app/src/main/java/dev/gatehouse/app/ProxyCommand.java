package dev.gatehouse.app;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.StatusServer;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;

/** {@code gatehouse proxy}: the data plane, fed by the controller over the channel. */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"Serve traffic with the snapshots the controller pushes. Keeps serving the last snapshot while "
                + "the controller is away, and with --state-dir serves it after a restart even when no controller is reachable.",
                "The proxy port opens only once a first snapshot is applied (from --state-dir or from the controller); "
                        + "until then /readyz answers 503 'waiting for the first snapshot'. When the port cannot be opened "
                        + "the command exits 1, naming address, port and cause."})
public final class ProxyCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ProxyCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--controller", paramLabel = "URI", required = true,
            description = "The controller's channel, ws://HOST:PORT or wss://HOST:PORT.")
    URI controller;

    @Option(names = "--token-file", paramLabel = "FILE", required = true, description = "File holding the channel's bearer token.")
    Path tokenFile;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where the last applied snapshot is kept, and read back at start.")
    Path stateDir;

    @Option(names = "--ca-file", paramLabel = "PEM", description = "CA certificate that signed the controller's channel "
            + "certificate; the only one trusted on wss:// (required with wss://), re-read at each connection attempt.")
    Path caFile;

    @Option(names = MessageLimitFlag.PROXY, paramLabel = "SIZE", defaultValue = MessageLimitFlag.DEFAULT,
            description = "Largest channel message taken, decompressed (e.g. 64Mi); a bigger one is refused (NACK) and the "
                    + "proxy keeps serving what it has. Default: ${DEFAULT-VALUE}.")
    String maxMessageBytes;

    @Option(names = "--proxy-id", paramLabel = "ID", description = "This proxy's name on the channel. Default: $POD_NAME, else the host name.")
    String proxyId;

    @Mixin
    ProxyOptions options;

    @Override
    public Integer call() throws Exception {
        String token = Identity.token(tokenFile);
        String failure;
        try (Shutdown shutdown = Shutdown.register(options.shutdownBudget())) {
            Running running;
            try {
                running = Running.start(options, new ChannelClientConfig(controller, token,
                        proxyId == null ? Identity.podName() : proxyId, stateDir, false, caFile,
                        MessageLimitFlag.parse(MessageLimitFlag.PROXY, maxMessageBytes)));
            } catch (IllegalStateException | IllegalArgumentException e) { // a port that cannot open, a bad --ca-file
                return failed(e.getMessage());
            }
            try (running; ProcessMeters jvm = ProcessMeters.bind(running.proxy.metrics().registry())) {
                shutdown.onSignal(running.proxy::startDraining);
                // the port opens with the first snapshot applied; if it cannot, serving is over
                running.proxy.whenListening().whenComplete((address, e) -> {
                    if (e != null && !(e instanceof CancellationException)) {
                        shutdown.fail(e.getMessage());
                    }
                });
                shutdown.await();
                failure = shutdown.failure();
            }
        }
        return failure == null ? 0 : failed(failure);
    }

    /** One line on stderr, exit code 1. */
    private int failed(String message) {
        spec.commandLine().getErr().println("gatehouse proxy: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }

    /**
     * A proxy, its status server and its channel client, wired; also used by the end-to-end tests.
     * {@link #start} returns with the proxy port open when the state dir held a snapshot the proxy
     * took; else the port opens with the controller's first push. Applying the persisted snapshot
     * throws (and the start fails) when the port cannot be opened.
     */
    public static final class Running implements AutoCloseable {
        public final ProxyServer proxy;
        public final StatusServer status;
        public final ChannelClient channel;

        private Running(ProxyServer proxy, StatusServer status, ChannelClient channel) {
            this.proxy = proxy;
            this.status = status;
            this.channel = channel;
        }

        /** The status port on {@code --status-address}, by default the proxy's own {@code --address} (docs/decisions.md). */
        public static Running start(ProxyOptions options, ChannelClientConfig channelConfig) {
            return start(options.config(), options.statusAddresses(options.address), options.statusPort, channelConfig,
                    options.accessLog);
        }

        /** Without an access log. */
        public static Running start(dev.gatehouse.proxy.ProxyConfig config, int statusPort, ChannelClientConfig channelConfig) {
            return start(config, statusPort, channelConfig, AccessLogDestination.OFF);
        }

        /** The status port on the proxy's address. */
        public static Running start(dev.gatehouse.proxy.ProxyConfig config, int statusPort, ChannelClientConfig channelConfig,
                                    AccessLogDestination accessLog) {
            return start(config, List.of(config.address()), statusPort, channelConfig, accessLog);
        }

        public static Running start(dev.gatehouse.proxy.ProxyConfig config, List<String> statusAddresses, int statusPort,
                                    ChannelClientConfig channelConfig, AccessLogDestination accessLog) {
            ProxyServer proxy = ProxyServer.start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), accessLog);
            StatusServer status = null;
            try {
                if (channelConfig.stateDir() != null) {
                    Snapshot persisted = ChannelClient.loadPersisted(channelConfig.stateDir());
                    if (persisted != null) {
                        // a good one opens the port at once; a bind failure throws and ends the start
                        List<Problem> problems = proxy.apply(persisted);
                        log.info("event=snapshot.restored version={} from={} problems={} listening={}", persisted.version(),
                                channelConfig.stateDir(), problems.size(), proxy.listening());
                    }
                }
                status = StatusServer.start(statusAddresses, statusPort, proxy);
                ChannelClient channel = ChannelClient.start(channelConfig, proxy);
                proxy.metrics().channelConnected(channel::connected);
                channel.bindMeters(proxy.metrics().registry());
                return new Running(proxy, status, channel);
            } catch (RuntimeException e) {
                if (status != null) {
                    status.close();
                }
                proxy.close();
                throw e;
            }
        }

        /**
         * Drains the proxy first, with the channel still up (a snapshot pushed meanwhile, say a target
         * gone, is still applied) and the status server still answering {@code /readyz} 503; then
         * the channel, then the status server.
         */
        @Override
        public void close() {
            proxy.close();
            channel.close();
            status.close();
        }
    }
}
