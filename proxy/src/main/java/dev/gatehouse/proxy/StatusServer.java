package dev.gatehouse.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Read-only status endpoints of a proxy, on their own port and thread:
 * {@code GET /healthz} (200 "ok" while the process runs), {@code GET /readyz} (see
 * {@link #notReady}: 200 "ready" once the first snapshot is applied and the data port open, until
 * the proxy starts draining; else 503 with the reason) and
 * {@code GET /status} (JSON: the applied snapshot's version, content hash, routes, services,
 * upstreams and targets, whether the data port listens, whether the proxy is draining and its
 * drain phase, requests in flight), {@code GET /upstreams}
 * (per target: weight, health, ejection, in-flight, EWMA latency, requests, failures) and
 * {@code GET /metrics} (Prometheus text format). Never a key or key digest.
 *
 * <p>It shows the topology (routes, targets), so it listens only where it is asked to
 * ({@code --status-address}): loopback in {@code gatehouse local} and {@code demo}, the pod IP
 * and loopback in the chart (kubelet probes and Prometheus reach the pod IP, {@code kubectl
 * port-forward} reaches loopback), see docs/decisions.md. One port, on every address given.
 */
public final class StatusServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EventLoopGroup group;
    private final List<Channel> listeners;

    private StatusServer(EventLoopGroup group, List<Channel> listeners) {
        this.group = group;
        this.listeners = listeners;
    }

    /** Listens on {@code address} alone. */
    public static StatusServer start(String address, int port, ProxyServer proxy) {
        return start(List.of(address), port, proxy);
    }

    /**
     * Listens on each of {@code addresses}, all on one port: {@code port}, or with 0 the ephemeral
     * port the first bind got.
     *
     * @throws IllegalStateException naming the address and port that cannot be bound, and the fix
     */
    public static StatusServer start(List<String> addresses, int port, ProxyServer proxy) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("status addresses: none (expected: at least one, e.g. 127.0.0.1)");
        }
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "gatehouse-status");
        ServerBootstrap b = transport.serverBootstrap(group)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new Endpoints(proxy));
                    }
                });
        List<Channel> bound = new ArrayList<>();
        int at = port;
        for (String address : addresses) {
            try {
                Channel ch = b.bind(address, at).sync().channel();
                bound.add(ch);
                at = ((InetSocketAddress) ch.localAddress()).getPort();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                bound.forEach(ch -> ch.close().syncUninterruptibly());
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                throw new IllegalStateException("cannot listen on " + address + ":" + at + " (status port): " + e.getMessage()
                        + " (expected: addresses of this host in --status-address and a port no other process listens on)", e);
            }
        }
        StatusServer server = new StatusServer(group, List.copyOf(bound));
        LOG.info("event=status.listening addresses={} port={}", String.join(",", addresses), server.port());
        return server;
    }

    public int port() {
        return ((InetSocketAddress) listeners.get(0).localAddress()).getPort();
    }

    /** The bound addresses, in the order given. */
    public List<InetSocketAddress> addresses() {
        return listeners.stream().map(ch -> (InetSocketAddress) ch.localAddress()).toList();
    }

    @Override
    public void close() {
        listeners.forEach(ch -> ch.close().syncUninterruptibly());
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Why the proxy is not ready, first match wins; null when it is. The text is the body of the
     * 503 on {@code /readyz}, for whoever reads the probe:
     * <ol>
     *   <li>{@code draining}: the drain started ({@link ProxyServer#startDraining()} or
     *       {@link ProxyServer#close()}, on SIGTERM), from its first instant, while the port still
     *       accepts for the drain delay: load balancers take the pod out before the port closes;</li>
     *   <li>the bind failure ({@code cannot listen on ADDR:PORT: ...}): the data port cannot open;</li>
     *   <li>{@code waiting for the first snapshot}: none applied yet, the data port is closed.</li>
     * </ol>
     * An applied snapshot without routes is ready: it is the truth (the controller publishes only
     * once its caches are synced), its 404s are the right answers, and a fresh install with no
     * objects yet must still roll out.
     */
    static String notReady(ProxyServer proxy) {
        if (proxy.draining()) {
            return "draining";
        }
        String failure = proxy.listenFailure();
        if (failure != null) {
            return failure;
        }
        if (!proxy.listening()) {
            return "waiting for the first snapshot";
        }
        return null;
    }

    static Map<String, Object> describe(Snapshot s, String contentHash) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", s.version());
        out.put("contentHash", contentHash);
        out.put("routes", s.routes().stream().map(StatusServer::route).toList());
        out.put("services", s.services().stream().map(StatusServer::service).toList());
        out.put("upstreams", s.upstreams().stream().map(StatusServer::upstream).toList());
        out.put("consumers", s.consumers().size());
        return out;
    }

    private static Map<String, Object> route(Route r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("hosts", r.hosts());
        m.put("paths", r.paths());
        m.put("methods", r.methods());
        m.put("service", r.service());
        m.put("stripPath", r.stripPath());
        m.put("preserveHost", r.preserveHost());
        m.put("priority", r.priority());
        m.put("keyAuth", r.keyAuth() != null);
        return m;
    }

    private static Map<String, Object> service(Service s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("upstream", s.upstream());
        m.put("protocol", s.protocol().name().toLowerCase(java.util.Locale.ROOT));
        m.put("path", s.path());
        m.put("retries", s.retries());
        return m;
    }

    private static Map<String, Object> upstream(Upstream u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", u.id());
        m.put("algorithm", u.algorithm().name());
        m.put("targets", u.targets().stream().map(t -> {
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("address", t.address());
            tm.put("weight", t.weight());
            return tm;
        }).toList());
        return m;
    }

    /** Serves the endpoints above; anything else is 404, a method other than GET/HEAD 405. */
    private static final class Endpoints extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ProxyServer proxy;

        Endpoints(ProxyServer proxy) {
            this.proxy = proxy;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws JsonProcessingException {
            String path = new QueryStringDecoder(req.uri()).path();
            FullHttpResponse res;
            if (!req.decoderResult().isSuccess()) {
                res = text(ctx, HttpResponseStatus.BAD_REQUEST, "bad request\n");
            } else if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
                res = text(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed (expected: GET)\n");
            } else if (path.equals("/healthz")) {
                res = text(ctx, HttpResponseStatus.OK, "ok\n");
            } else if (path.equals("/metrics")) {
                res = metrics(ctx, proxy);
            } else if (path.equals("/readyz")) {
                String reason = notReady(proxy);
                res = reason == null ? text(ctx, HttpResponseStatus.OK, "ready\n")
                        : text(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, reason + "\n");
            } else if (path.equals("/status")) {
                Map<String, Object> doc = describe(proxy.current(), proxy.currentContentHash());
                doc.put("listening", proxy.listening());
                doc.put("draining", proxy.draining());
                doc.put("drainPhase", proxy.drainPhase());
                doc.put("inFlight", proxy.inFlight());
                Map<String, Object> tls = proxy.describeTls();
                if (tls != null) {
                    doc.put("tls", tls); // names, fallback and notAfter per certificate; never a key
                }
                byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
                res = response(ctx, HttpResponseStatus.OK, json, HttpHeaderValues.APPLICATION_JSON);
            } else if (path.equals("/upstreams")) {
                // per upstream and target: address, weight, health, ejection, in-flight, EWMA, counters (docs/balancing.md)
                byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(Map.of("upstreams", proxy.balancers().describe()));
                res = response(ctx, HttpResponseStatus.OK, json, HttpHeaderValues.APPLICATION_JSON);
            } else {
                res = text(ctx, HttpResponseStatus.NOT_FOUND, "not found (expected: /healthz, /readyz, /status, /upstreams or /metrics)\n");
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(res, keepAlive);
            var f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        /** {@code GET /metrics}: the Prometheus text format (version 0.0.4) of the proxy's registry. */
        private static FullHttpResponse metrics(ChannelHandlerContext ctx, ProxyServer proxy) {
            String scrape = proxy.metrics().scrape();
            if (scrape == null) {
                return text(ctx, HttpResponseStatus.NOT_FOUND, "no Prometheus registry (expected: the proxy started with one)\n");
            }
            return response(ctx, HttpResponseStatus.OK, scrape.getBytes(StandardCharsets.UTF_8),
                    "text/plain; version=0.0.4; charset=utf-8");
        }

        private static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
            return response(ctx, status, body.getBytes(StandardCharsets.UTF_8), HttpHeaderValues.TEXT_PLAIN);
        }

        private static FullHttpResponse response(ChannelHandlerContext ctx, HttpResponseStatus status, byte[] body,
                                                 CharSequence type) {
            ByteBuf buf = ctx.alloc().buffer(body.length).writeBytes(body);
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            return res;
        }
    }
}
