package dev.gatehouse.app;

import dev.gatehouse.config.Snapshot;

import dev.gatehouse.controller.publish.SnapshotPublisher;

import dev.gatehouse.controller.channel.ChannelFleet;
import dev.gatehouse.controller.channel.ChannelListener;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.k8s.Controller;
import dev.gatehouse.controller.k8s.ControllerConfig;
import dev.gatehouse.controller.translate.TlsSettings;
import dev.gatehouse.controller.k8s.IngressConfig;
import dev.gatehouse.controller.translate.GatewaySelection;
import dev.gatehouse.controller.translate.IngressSelection;
import dev.gatehouse.controller.status.StatusEndpoint;
import dev.gatehouse.config.channel.ObjectError;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code gatehouse controller}: watches the cluster, pushes snapshots to proxies, writes status. */
@Command(name = "controller", mixinStandardHelpOptions = true,
        description = {"Watch Upstreams, GatewayServices, GatewayRoutes, Consumers, EndpointSlices, credential Secrets, "
                + "and the Ingresses of its IngressClass; push snapshots to the proxies over the channel; write status "
                + "(leader only).",
                "Uses the standard Kubernetes client configuration: in-cluster service account, KUBECONFIG, or ~/.kube/config."})
public final class ControllerCommand implements Callable<Integer> {
    @Option(names = "--namespace", paramLabel = "NS", description = "Namespace to watch (repeatable). Default: all.")
    List<String> namespaces = new ArrayList<>();

    @Option(names = "--channel-address", paramLabel = "ADDR", defaultValue = "0.0.0.0",
            description = "Address of the channel port. Default: ${DEFAULT-VALUE}.")
    String channelAddress;

    @Option(names = "--channel-port", paramLabel = "PORT", defaultValue = "18000",
            description = "Port proxies connect to (WebSocket). Default: ${DEFAULT-VALUE}.")
    int channelPort;

    @Option(names = MessageLimitFlag.CONTROLLER, paramLabel = "SIZE", defaultValue = MessageLimitFlag.DEFAULT,
            description = "Largest channel message, decompressed (e.g. 64Mi); a snapshot over it, or over a proxy's own limit, "
                    + "is not sent. Default: ${DEFAULT-VALUE}.")
    String channelMaxMessageBytes;

    @Option(names = "--token-file", paramLabel = "FILE", required = true,
            description = "File holding the channel's bearer token; proxies must present it.")
    Path tokenFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Serve the channel over TLS with this certificate (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key for --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1). "
            + "Both files are re-read every 10 s; a changed pair serves new connections.")
    Path tlsKey;

    @Option(names = "--status-address", paramLabel = "ADDR", defaultValue = "0.0.0.0",
            description = "Address of the status port. Default: ${DEFAULT-VALUE}.")
    String statusAddress;

    @Option(names = "--status-port", paramLabel = "PORT", defaultValue = "8100",
            description = "Status port: /healthz, /readyz, /metrics. Default: ${DEFAULT-VALUE}.")
    int statusPort;

    @Option(names = "--lease-namespace", paramLabel = "NS",
            description = "Namespace of the leader-election Lease. Default: $POD_NAMESPACE, else the client's namespace.")
    String leaseNamespace;

    @Option(names = "--ingress", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Serve Ingresses (networking.k8s.io/v1) of --ingress-class. --no-ingress turns Ingress support off: "
                    + "no Ingress or IngressClass is read, none is written. Default: on.")
    boolean ingress;

    @Option(names = "--ingress-class", paramLabel = "NAME", defaultValue = IngressSelection.DEFAULT_CLASS_NAME,
            description = "The IngressClass this controller serves: an Ingress is taken when spec.ingressClassName names it, "
                    + "else when the legacy annotation kubernetes.io/ingress.class does, else (no class) when this "
                    + "IngressClass is the default. Every other Ingress is ignored and never written to. Default: ${DEFAULT-VALUE}.")
    String ingressClass;

    @Option(names = "--publish-service", paramLabel = "NS/NAME",
            description = "The proxy Service whose address Ingresses show in status.loadBalancer.ingress: a LoadBalancer's "
                    + "IP or hostname, else its external IPs, else its ClusterIP. Default: none (the chart sets it).")
    String publishService;

    @Option(names = "--publish-address", paramLabel = "ADDR", split = ",",
            description = "Address(es) Ingresses show in status.loadBalancer.ingress instead of the --publish-service one "
                    + "(repeatable or comma-separated; an IP or a DNS name). Default: none.")
    List<String> publishAddresses = new ArrayList<>();

    @Option(names = TlsSettings.FLAG, paramLabel = "NS/NAME",
            description = "A kubernetes.io/tls Secret served on the proxies' TLS port to clients that send no SNI name, or "
                    + "one no route's certificate is for. A missing or unusable Secret is logged (event=tls.default_certificate) "
                    + "and such clients get no certificate until it is fixed. Default: none.")
    String defaultCertificate;

    @Option(names = "--gateway-api", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Serve the Gateway API (gateway.networking.k8s.io/v1: GatewayClass, Gateway, HTTPRoute, "
                    + "ReferenceGrant) for GatewayClasses of --gateway-controller-name. --no-gateway-api turns it off: "
                    + "none is read or written. Without the Gateway API CRDs in the cluster it is off, with a log line. Default: on.")
    boolean gatewayApi;

    @Option(names = "--gateway-controller-name", paramLabel = "NAME", defaultValue = GatewaySelection.DEFAULT_CONTROLLER,
            description = "The spec.controllerName of the GatewayClasses this controller serves; every other GatewayClass, "
                    + "its Gateways and their routes are ignored and never written to. Default: ${DEFAULT-VALUE}.")
    String gatewayControllerName;

    @Option(names = "--gateway-http-port", paramLabel = "PORT", defaultValue = "80",
            description = "The proxy Service's HTTP port: the one port a Gateway's HTTP listener may have, since one proxy "
                    + "fleet serves every Gateway of the class (other ports: listener Accepted=False, PortUnavailable). "
                    + "Default: ${DEFAULT-VALUE} (the chart passes proxy.service.ports.http).")
    int gatewayHttpPort;

    @Option(names = "--gateway-https-port", paramLabel = "PORT", defaultValue = "443",
            description = "The proxy Service's TLS port: the one port a Gateway's HTTPS listener may have (other ports: "
                    + "listener Accepted=False, PortUnavailable); its certificate is served on the proxy's TLS port. "
                    + "Default: ${DEFAULT-VALUE} (the chart passes proxy.service.ports.https).")
    int gatewayHttpsPort;

    @Option(names = "--status-writes-per-second", paramLabel = "N", defaultValue = "50",
            description = "Status writes the leader makes at most per second (bursts of up to twice that after a quiet "
                    + "spell); only objects whose status changes are written. Default: ${DEFAULT-VALUE}.")
    int statusWritesPerSecond;

    @Option(names = "--status-quiet-after-publish", paramLabel = "DURATION", defaultValue = "100ms",
            converter = ProxyOptions.DurationOption.class,
            description = "Status writes pause while a translation or publish is pending or running, and this long after "
                    + "one, so a change reaches the proxies on cores status writes leave alone (pauses: "
                    + "gatehouse_controller_status_paused_total); --status-max-delay bounds the pauses. 0ms..10s. "
                    + "Default: ${DEFAULT-VALUE}.")
    java.time.Duration statusQuietAfterPublish;

    @Option(names = "--status-max-delay", paramLabel = "DURATION", defaultValue = "3s",
            converter = ProxyOptions.DurationOption.class,
            description = "How far behind a change status may be held while changes keep coming (a rollout keeps the "
                    + "publish path busy for minutes): then a batch of up to twice --status-writes-per-second writes goes "
                    + "out without pausing (gatehouse_controller_status_pause_overruns_total, event=status.pause_overrun), "
                    + "and the next no sooner than this again. 100ms..10m. Default: ${DEFAULT-VALUE}.")
    java.time.Duration statusMaxDelay;

    @Option(names = "--status-startup-hold", paramLabel = "DURATION", defaultValue = "30s",
            converter = ProxyOptions.DurationOption.class,
            description = "The start-up status pass (every object's status, tens of thousands of writes at scale) waits "
                    + "until every connected proxy acknowledged the first snapshot, at most this long, so the proxies' first "
                    + "compile gets the cores (event=status.startup_hold_released, "
                    + "gatehouse_controller_status_startup_hold_total); edits after it are written as before. 0ms..10m, "
                    + "0ms: no hold. Default: ${DEFAULT-VALUE}.")
    java.time.Duration statusStartupHold;

    @Option(names = "--catch-up-versions", paramLabel = "N", defaultValue = "32",
            description = "The versions behind the latest a proxy may be and still get one delta from the version it serves "
                    + "(gatehouse_controller_channel_catch_ups_total); one further behind gets the whole snapshot. Each "
                    + "version is kept as its snapshot. 1..1024. Default: ${DEFAULT-VALUE}.")
    int catchUpVersions;

    @Option(names = "--deleted-names-remembered", paramLabel = "N", defaultValue = "16384",
            description = "Deleted objects remembered per informer (name, uid and resourceVersion), so a replayed event "
                    + "of a deleted object does not bring it back; the oldest is forgotten beyond this many (counted: "
                    + "gatehouse_controller_state_deleted_names_forgotten_total, logged as "
                    + "event=state.deleted_name_forgotten). About 200 bytes each. 1..4194304. Default: ${DEFAULT-VALUE}.")
    int deletedNamesRemembered;

    @Option(names = "--replica-report-interval", paramLabel = "DURATION", defaultValue = "1s",
            converter = ProxyOptions.DurationOption.class,
            description = "The least time between two writes of this replica's report of its proxies (what they acknowledged "
                    + "and refused, by content hash) to its Lease <lease>-replica-<pod>; the leader decides Programmed "
                    + "from every replica's reports. Written only when it changed, and renewed every third of the lease "
                    + "duration (gatehouse_controller_replica_report_writes_total). 10ms..1m. Default: ${DEFAULT-VALUE}.")
    java.time.Duration replicaReportInterval;

    @Spec
    CommandSpec spec;

    /** The {@code --replica-report-interval} value, checked; a bad one is a usage error naming the flag. */
    java.time.Duration replicaReportInterval() {
        try {
            return ControllerConfig.defaults(List.of(), "default", "x").withReplicaReportInterval(replicaReportInterval)
                    .replicaReportInterval();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The status write rate of the flag; a bad value is a usage error naming the flag. */
    ControllerConfig.StatusRate statusRate() {
        try {
            return ControllerConfig.StatusRate.of(statusWritesPerSecond).withQuietAfterPublish(statusQuietAfterPublish)
                    .withMaxDelay(statusMaxDelay).withStartupHold(statusStartupHold);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The {@code --deleted-names-remembered} value, checked; a bad one is a usage error naming the flag. */
    int deletedNamesRemembered() {
        if (deletedNamesRemembered < 1 || deletedNamesRemembered > dev.gatehouse.controller.translate.ClusterStore.MAX_TOMBSTONES) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--deleted-names-remembered: " + deletedNamesRemembered
                    + " (expected: 1.." + dev.gatehouse.controller.translate.ClusterStore.MAX_TOMBSTONES + ")");
        }
        return deletedNamesRemembered;
    }

    /** The {@value TlsSettings#FLAG} value, checked; a malformed one is a usage error naming the flag. */
    String defaultCertificate() {
        try {
            return TlsSettings.flagValue(defaultCertificate);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The Gateway API settings of the flags; a bad value is a usage error naming the flag. */
    GatewaySelection gatewaySelection() {
        try {
            GatewaySelection s = new GatewaySelection(gatewayControllerName, gatewayHttpPort, gatewayHttpsPort);
            return gatewayApi ? s : GatewaySelection.OFF;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The channel server's settings of the flags; a bad value is a usage error naming the flag. */
    ChannelServerConfig channelConfig(String token) {
        int maxMessageBytes = channelMaxMessageBytes();
        try {
            return new ChannelServerConfig(channelAddress, channelPort, token, tlsCert, tlsKey, maxMessageBytes, catchUpVersions);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The {@value MessageLimitFlag#CONTROLLER} value; a bad one is a usage error naming the flag. */
    int channelMaxMessageBytes() {
        try {
            return MessageLimitFlag.parse(MessageLimitFlag.CONTROLLER, channelMaxMessageBytes);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The Ingress settings of the flags; a bad value is a usage error naming the flag. */
    IngressConfig ingressConfig() {
        try {
            // the published addresses serve Gateway status too, with Ingress support off
            return new IngressConfig(ingress ? ingressClass : null, publishService, publishAddresses);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        IngressConfig ingressConfig = ingressConfig();
        String defaultCertificate = defaultCertificate();
        GatewaySelection gatewaySelection = gatewaySelection();
        ControllerConfig.StatusRate statusRate = statusRate();
        int deletedNamesRemembered = deletedNamesRemembered();
        java.time.Duration reportInterval = replicaReportInterval();
        channelConfig(null); // the flags checked before the token file is read
        String token = Identity.token(tokenFile);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Shutdown shutdown = Shutdown.register();
             KubernetesClient client = new KubernetesClientBuilder().build();
             Running running = Running.start(client, ControllerConfig.defaults(namespaces, leaseNamespace(client), Identity.podName())
                             .withIngress(ingressConfig).withDefaultCertificate(defaultCertificate).withGateway(gatewaySelection)
                             .withStatusWrites(statusRate).withDeletedNamesRemembered(deletedNamesRemembered)
                             .withReplicaReportInterval(reportInterval),
                     channelConfig(token), registry);
             ProcessMeters jvm = ProcessMeters.bind(registry);
             StatusEndpoint status = StatusEndpoint.start(statusAddress, statusPort, running.controller::ready, registry)) {
            shutdown.await();
        }
        return 0;
    }

    private String leaseNamespace(KubernetesClient client) {
        if (leaseNamespace != null) {
            return leaseNamespace;
        }
        String pod = System.getenv("POD_NAMESPACE");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        String ns = client.getNamespace();
        return ns == null ? "default" : ns;
    }

    /** The controller and its channel server, wired; also used by the end-to-end tests. */
    public static final class Running implements AutoCloseable {
        public final ChannelServer channel;
        public final Controller controller;

        private Running(ChannelServer channel, Controller controller) {
            this.channel = channel;
            this.controller = controller;
        }

        public static Running start(KubernetesClient client, ControllerConfig config, ChannelServerConfig channelConfig,
                                    io.micrometer.core.instrument.MeterRegistry registry) {
            ChannelServer channel = ChannelServer.start(channelConfig);
            Controller created = null;
            try {
                Controller controller = new Controller(client, config, new SnapshotPublisher() {
                    @Override
                    public void publish(Snapshot snapshot) {
                        channel.publish(snapshot);
                    }

                    @Override
                    public void publish(Snapshot snapshot, String contentHash) {
                        channel.publish(snapshot, contentHash); // hashed once, where it was versioned
                    }
                }, registry);
                channel.bindMeters(registry);
                created = controller;
                controller.fleet(new ChannelFleet(channel));
                io.micrometer.core.instrument.Counter acks = io.micrometer.core.instrument.Counter
                        .builder("gatehouse.controller.channel.acks").description("ACKs received from proxies").register(registry);
                io.micrometer.core.instrument.Counter nacks = io.micrometer.core.instrument.Counter
                        .builder("gatehouse.controller.channel.nacks").description("NACKs received from proxies").register(registry);
                io.micrometer.core.instrument.Gauge.builder("gatehouse.controller.proxies.connected", channel, ChannelServer::connectedCount)
                        .description("Proxies connected to this replica's channel").register(registry);
                channel.addListener(new ChannelListener() {
                    @Override
                    public void onAck(String proxyId, long version) {
                        acks.increment();
                        controller.changed();
                    }

                    @Override
                    public void onNack(String proxyId, long version, List<ObjectError> errors) {
                        nacks.increment();
                        controller.changed();
                    }

                    @Override
                    public void onConnect(String proxyId) {
                        controller.changed();
                    }

                    @Override
                    public void onDisconnect(String proxyId) {
                        controller.changed();
                    }
                });
                controller.start();
                return new Running(channel, controller);
            } catch (RuntimeException e) {
                channel.close();
                if (created != null) {
                    created.close(); // informers started before the failure stop with it
                }
                throw e;
            }
        }

        /** The channel first (proxies keep serving what they have), then the controller. */
        @Override
        public void close() {
            channel.close();
            controller.close();
        }
    }
}
