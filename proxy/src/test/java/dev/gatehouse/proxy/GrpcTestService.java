package dev.gatehouse.proxy;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real gRPC server (grpc-java, its own shaded Netty) with a service {@code test.Echo} whose
 * messages are UTF-8 strings (no protoc): {@code Unary} echoes, {@code Stream} answers 100
 * messages, {@code Upload} answers the number of bytes of all messages it got, {@code Missing}
 * fails with NOT_FOUND and a message. Plus the gRPC message framing for clients that are not
 * grpc-java (a flag byte, a 4-byte length, the message).
 */
final class GrpcTestService implements AutoCloseable {
    static final String SERVICE = "test.Echo";
    static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    static final MethodDescriptor<String, String> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
    static final MethodDescriptor<String, String> STREAM = method("Stream", MethodDescriptor.MethodType.SERVER_STREAMING);
    static final MethodDescriptor<String, String> UPLOAD = method("Upload", MethodDescriptor.MethodType.CLIENT_STREAMING);
    static final MethodDescriptor<String, String> MISSING = method("Missing", MethodDescriptor.MethodType.UNARY);
    static final int STREAMED = 100;

    private final Server server;
    /** Calls the server started, whatever their outcome. */
    final AtomicInteger calls = new AtomicInteger();

    GrpcTestService(ServerCredentials credentials) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
                    calls.incrementAndGet();
                    out.onNext("echo " + req);
                    out.onCompleted();
                }))
                .addMethod(STREAM, ServerCalls.asyncServerStreamingCall((String req, StreamObserver<String> out) -> {
                    calls.incrementAndGet();
                    for (int i = 0; i < STREAMED; i++) {
                        out.onNext(req + " " + i);
                    }
                    out.onCompleted();
                }))
                .addMethod(UPLOAD, ServerCalls.asyncClientStreamingCall((StreamObserver<String> out) -> {
                    calls.incrementAndGet();
                    return new StreamObserver<String>() {
                        private long bytes;
                        private int messages;

                        @Override
                        public void onNext(String value) {
                            bytes += value.length();
                            messages++;
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                            out.onNext(bytes + " bytes in " + messages + " messages");
                            out.onCompleted();
                        }
                    };
                }))
                .addMethod(MISSING, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
                    calls.incrementAndGet();
                    out.onError(Status.NOT_FOUND.withDescription("no such thing: " + req).asRuntimeException());
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials)
                .addService(service).build().start();
    }

    int port() {
        return server.getPort();
    }

    private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<String, String>newBuilder().setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(UTF8).setResponseMarshaller(UTF8).build();
    }

    /** One gRPC length-prefixed message, uncompressed. */
    static byte[] frame(String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(5 + m.length).put((byte) 0).putInt(m.length).put(m).array();
    }

    /** The messages of a gRPC body. */
    static List<String> messages(byte[] body) {
        List<String> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(body);
        while (b.hasRemaining()) {
            byte flag = b.get();
            if (flag != 0) {
                throw new IllegalStateException("compressed message (flag " + flag + ")");
            }
            byte[] m = new byte[b.getInt()];
            b.get(m);
            out.add(new String(m, StandardCharsets.UTF_8));
        }
        return out;
    }

    static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    }
}
