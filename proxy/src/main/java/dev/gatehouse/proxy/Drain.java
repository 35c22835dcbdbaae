package dev.gatehouse.proxy;

import dev.gatehouse.proxy.forward.ClientHandler;
import dev.gatehouse.proxy.forward.DataPlane;
import dev.gatehouse.proxy.forward.Tunnel;
import dev.gatehouse.proxy.forward.Http2ClientConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;

/**
 * The graceful drain of one proxy (DESIGN §8, docs/operations.md "Drain"), in phases; each
 * change is one log line, the {@code gatehouse_drain_phase} gauge and {@code drainPhase} on
 * {@code /status}:
 * <ol>
 *   <li>{@link Phase#ACCEPTING} ({@code event=drain.started}): {@code /readyz} answers 503
 *       {@code draining} from this instant; the port keeps accepting for {@code drainDelay}, so
 *       endpoint controllers and load balancers stop sending new connections before it closes.
 *       Every response whose head is written from now on says {@code Connection: close} and its
 *       connection closes after it: keep-alive clients leave by themselves, race-free.</li>
 *   <li>{@link Phase#FINISHING} ({@code event=drain.accepting-stopped}): every listener is closed,
 *       the cleartext and the TLS port alike (a new connect is refused). Requests in flight finish; a request that still arrives on an
 *       open connection is served, with {@code Connection: close}. A connection that stayed quiet
 *       for a whole {@link #SWEEP} is closed by {@link ClientHandler#drainIfQuiet} (half-close,
 *       then {@link #LINGER}). An HTTP/2 connection gets {@code GOAWAY} at the first sweep (a
 *       notice) and the second (the last stream taken; later ones are refused), and is closed
 *       once no stream is open and it was quiet for a sweep ({@link Http2ClientConnection#drainIfQuiet}).
 *       WebSocket tunnels are left open: they have no request boundary to close at. Ends when no
 *       request is in flight and no connection is open, or when {@code drainTimeout} has passed
 *       since the listener closed.</li>
 *   <li>{@link Phase#DONE} ({@code event=drain.done in_flight_left=N tunnels_left=T}): the tunnels
 *       left are closed, both sides, after flushing what is pending ({@link Tunnel#closeForDrain},
 *       {@code outcome="drain"}); the caller closes what is left, cutting {@code in_flight_left}
 *       requests ({@code reason="forced"} in {@code gatehouse_drain_connections_closed_total}).</li>
 * </ol>
 * A port that never opened (no snapshot yet) has no load balancer to wait for: the delay is skipped.
 */
final class Drain {
    private static final Logger LOG = LoggerFactory.getLogger(Drain.class);
    /**
     * How long a connection must stay quiet (no request, no byte, no response finished) before
     * the drain closes it. A client about to send on a connection (just opened, or just answered
     * keep-alive) does so within far less; a connection quiet this long is parked in a client pool.
     */
    static final Duration SWEEP = Duration.ofSeconds(1);
    /** After its half-close, how long a quiet connection is read (and what arrives dropped) before it is closed. */
    static final Duration LINGER = Duration.ofSeconds(1);
    private static final long POLL_MILLIS = 10;

    /** Where the drain is; the gauge's value is the ordinal. */
    enum Phase { SERVING, ACCEPTING, FINISHING, DONE }

    private final ProxyConfig config;
    private final DataPlane plane;
    /** The data ports, the cleartext one first; the TLS one too when there is one. */
    private final List<DataPort> ports;
    private final ChannelGroup clients;
    private final Counter idleClosed;
    private final Counter forcedClosed;
    private volatile Phase phase = Phase.SERVING;
    private long startedNanos;
    /** Whether the port accepted when the drain started: only then is the delay waited out. */
    private boolean wasAccepting;

    Drain(ProxyConfig config, DataPlane plane, List<DataPort> ports, ChannelGroup clients, MeterRegistry registry) {
        this.config = config;
        this.plane = plane;
        this.ports = List.copyOf(ports);
        this.clients = clients;
        Gauge.builder("gatehouse.drain.phase", this, d -> d.phase.ordinal())
                .description("Graceful drain: 0 serving, 1 draining and still accepting, 2 accepting stopped, 3 done")
                .register(registry);
        Gauge.builder("gatehouse.requests.in.flight", plane, DataPlane::inFlight)
                .description("Requests in flight, across all client connections").register(registry);
        Gauge.builder("gatehouse.websocket.tunnels", plane, DataPlane::tunnels)
                .description("WebSocket tunnels open now, across all client connections").register(registry);
        idleClosed = Counter.builder("gatehouse.drain.connections.closed").tag("reason", "idle")
                .description("Client connections the drain closed: idle (quiet, half-closed) or forced (left at the drain timeout)")
                .register(registry);
        forcedClosed = Counter.builder("gatehouse.drain.connections.closed").tag("reason", "forced")
                .description("Client connections the drain closed: idle (quiet, half-closed) or forced (left at the drain timeout)")
                .register(registry);
    }

    Phase phase() {
        return phase;
    }

    /** Starts draining: readiness off and {@code Connection: close} from now on. Idempotent; returns at once. */
    synchronized void start() {
        if (phase != Phase.SERVING) {
            return;
        }
        startedNanos = System.nanoTime();
        wasAccepting = ports.stream().anyMatch(p -> p.accepting() && !p.closed());
        plane.startDraining();
        phase = Phase.ACCEPTING;
        LOG.info("event=drain.started delay_ms={} timeout_ms={} accepting={} in_flight={} connections={}",
                wasAccepting ? config.drainDelay().toMillis() : 0, config.drainTimeout().toMillis(), wasAccepting,
                plane.inFlight(), clients.size());
    }

    /**
     * Runs the drain to {@link Phase#DONE} (starting it if needed): blocks for up to
     * {@code drainDelay + drainTimeout}. Call it once; the caller then closes what is left.
     *
     * @return the requests still in flight at the end (cut by the caller's close)
     */
    int run() {
        start();
        long stopAt = startedNanos + (wasAccepting ? config.drainDelay().toNanos() : 0);
        long sweep = SWEEP.toNanos();
        // the first mark a sweep before the port closes: connections quiet through the delay's last
        // second close as soon as it does
        long nextSweep = Math.max(startedNanos, stopAt - sweep);
        long deadline = Long.MAX_VALUE;
        while (true) {
            long now = System.nanoTime();
            if (phase == Phase.ACCEPTING && now - stopAt >= 0) {
                stopAccepting(now);
                deadline = now + config.drainTimeout().toNanos();
            }
            if (phase == Phase.FINISHING && ((plane.inFlight() == 0 && clients.isEmpty()) || now - deadline >= 0)) {
                break;
            }
            if (now - nextSweep >= 0) {
                sweep(phase == Phase.FINISHING);
                nextSweep = now + sweep;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                // whoever interrupts the closing thread wants it over now (a signal never does)
                Thread.currentThread().interrupt();
                if (phase == Phase.ACCEPTING) {
                    stopAccepting(System.nanoTime());
                }
                break;
            }
        }
        int inFlightLeft = plane.inFlight();
        int connectionsLeft = clients.size();
        int tunnelsLeft = plane.tunnels();
        if (tunnelsLeft > 0) {
            for (Channel ch : clients) {
                ch.eventLoop().execute(() -> Tunnel.closeForDrain(ch));
            }
        }
        forcedClosed.increment(connectionsLeft);
        phase = Phase.DONE;
        long afterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
        if (inFlightLeft > 0) {
            LOG.warn("event=drain.done in_flight_left={} tunnels_left={} connections_left={} idle_closed={} after_ms={} "
                            + "(the drain timeout {} ms passed first; raise --drain-timeout if these requests must finish)",
                    inFlightLeft, tunnelsLeft, connectionsLeft, (long) idleClosed.count(), afterMillis,
                    config.drainTimeout().toMillis());
        } else {
            LOG.info("event=drain.done in_flight_left=0 tunnels_left={} connections_left={} idle_closed={} after_ms={}", tunnelsLeft,
                    connectionsLeft, (long) idleClosed.count(), afterMillis);
        }
        return inFlightLeft;
    }

    private void stopAccepting(long now) {
        // every port, each right after an accept batch (DataPort.close): no listener left accepting
        String closedPorts = ports.stream().map(DataPort::close).collect(Collectors.joining(","));
        phase = Phase.FINISHING;
        LOG.info("event=drain.accepting-stopped port={} after_ms={} in_flight={} connections={}", closedPorts,
                TimeUnit.NANOSECONDS.toMillis(now - startedNanos), plane.inFlight(), clients.size());
    }

    /** One connection's sweep, by what it speaks: HTTP/1.1, HTTP/2 (GOAWAY first), or nothing yet. */
    private static boolean drainIfQuiet(Channel ch, boolean close, long lingerMillis) {
        ClientHandler h1 = ch.pipeline().get(ClientHandler.class);
        if (h1 != null) {
            return h1.drainIfQuiet(close, lingerMillis);
        }
        Http2ClientConnection h2 = ch.pipeline().get(Http2ClientConnection.class);
        if (h2 != null) {
            return h2.drainIfQuiet(close, lingerMillis);
        }
        PrefaceSniffer first = ch.pipeline().get(PrefaceSniffer.class);
        return first != null && first.drainIfQuiet(ch, close, lingerMillis);
    }

    /** Asks every connection, on its own event loop, to mark its activity and (when {@code close}) close if quiet since the last mark. */
    private void sweep(boolean close) {
        long lingerMillis = LINGER.toMillis();
        for (Channel ch : clients) {
            ch.eventLoop().execute(() -> {
                if (drainIfQuiet(ch, close, lingerMillis)) {
                    idleClosed.increment();
                }
            });
        }
    }
}
