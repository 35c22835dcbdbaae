package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import io.grpc.CallOptions;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A real grpc-java client and server with the proxy between them: the client speaks h2c (prior
 * knowledge) to the proxy's cleartext port, the proxy speaks HTTP/2 to the grpc service's target.
 * Unary, server streaming, a 10 MiB client stream, the server's own error status, and the
 * proxy's answers as the gRPC statuses a client acts on.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcClientEndToEndTest {
    private static GrpcTestService server;
    private static ProxyServer proxy;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        server = new GrpcTestService(InsecureServerCredentials.create());
        proxy = ProxyServer.start(Fixtures.config());
        int dead = TestKeystores.freePort();
        assertThat(proxy.apply(Fixtures.snapshot(1,
                List.of(service("default/grpc"), service("default/down")),
                List.of(route("default/echo", "default/grpc").paths("/test.Echo/").stripPath(false).build(),
                        route("default/keyed", "default/grpc").paths("/test.Echo/Keyed").stripPath(false)
                                .keyAuth(new Route.KeyAuth(List.of(), true, false, false, null)).build(),
                        route("default/down", "default/down").paths("/down.Echo/").stripPath(false).build()),
                List.of(upstream("default/grpc", server.port()), upstream("default/down", dead)),
                List.of()))).isEmpty();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", proxy.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        proxy.close();
        server.close();
    }

    private static Service service(String id) {
        return new Service(id, Fixtures.source("GatewayService", id), id, Service.Protocol.GRPC, "/", null, 5,
                new Service.Timeouts(2_000, 20_000, 20_000));
    }

    private static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    @Test
    void unary() {
        assertThat(ClientCalls.blockingUnaryCall(channel, GrpcTestService.UNARY, options(), "hello")).isEqualTo("echo hello");
    }

    @Test
    void serverStreamingOf100Messages() {
        Iterator<String> it = ClientCalls.blockingServerStreamingCall(channel, GrpcTestService.STREAM, options(), "m");
        List<String> got = new ArrayList<>();
        it.forEachRemaining(got::add);
        assertThat(got).hasSize(GrpcTestService.STREAMED).startsWith("m 0").endsWith("m 99");
    }

    @Test
    void clientStreamingOf10MiB() throws Exception {
        CompletableFuture<String> answer = new CompletableFuture<>();
        StreamObserver<String> requests = ClientCalls.asyncClientStreamingCall(
                channel.newCall(GrpcTestService.UPLOAD, options()), new StreamObserver<>() {
                    @Override
                    public void onNext(String value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        answer.complete("no message");
                    }
                });
        String chunk = "x".repeat(64 * 1024);
        for (int i = 0; i < 160; i++) {
            requests.onNext(chunk);
        }
        requests.onCompleted();
        assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo((10 * 1024 * 1024) + " bytes in 160 messages");
    }

    /** The server's status and message reach the client as the server gave them (percent-encoding undone by the client). */
    @Test
    void serverErrorStatusReachesTheClient() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> ClientCalls.blockingUnaryCall(channel, GrpcTestService.MISSING, options(), "café 100%"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(e.getStatus().getDescription()).isEqualTo("no such thing: café 100%");
    }

    @Test
    void missingKeyIsUnauthenticated() {
        int before = server.calls.get();
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                channel, GrpcTestService.UNARY.toBuilder().setFullMethodName("test.Echo/Keyed").build(), options(), "x"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(e.getStatus().getDescription()).isEqualTo("No API key found in request");
        assertThat(server.calls.get()).isEqualTo(before);
    }

    @Test
    void noRouteIsUnimplemented() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                channel, GrpcTestService.UNARY.toBuilder().setFullMethodName("nothing.Here/Call").build(), options(), "x"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(e.getStatus().getDescription()).isEqualTo("no Route matched with those values");
    }

    @Test
    void allTargetsDownIsUnavailable() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                channel, GrpcTestService.UNARY.toBuilder().setFullMethodName("down.Echo/Unary").build(), options(), "x"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
}
