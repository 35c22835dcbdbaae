package dev.gatehouse.proxy;

import io.netty.channel.Channel;
import io.netty.channel.unix.Buffer;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.UnixChannel;

import java.nio.ByteBuffer;

/**
 * A classic BPF socket filter (Linux {@code SO_ATTACH_FILTER}) that drops a TCP segment carrying
 * SYN without ACK, a new connection's first segment, and passes every other. Attached to a
 * listening socket it stops the kernel from starting new handshakes (the client's SYN goes
 * unanswered; its retransmission a second later meets the closed port and is refused), while the
 * handshakes already under way complete into the accept queue, where the proxy accepts and
 * answers them. That is what closes the window between the proxy's last accept and the
 * listener's close ({@link DataPort}). Linux's filter sees the TCP header at offset 0; byte 13
 * holds the flags.
 *
 * <p>On the native transports (epoll and io_uring, Linux), through Netty's raw socket option,
 * which both channel configs pass to {@code setsockopt}; on NIO {@link #attach} says it could not,
 * and the listener closes right after an accept batch as before.
 */
final class SynFilter {
    static final int SOL_SOCKET = 1;
    static final int SO_ATTACH_FILTER = 26;
    private static final int TCP_FLAGS_OFFSET = 13;
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;

    /** {@code struct sock_filter}: u16 code, u8 jt, u8 jf, u32 k. */
    private static final int[][] PROGRAM = {
            {0x30, 0, 0, TCP_FLAGS_OFFSET}, // ldb [13]            BPF_LD | BPF_B | BPF_ABS
            {0x54, 0, 0, SYN | ACK},        // and #0x12           BPF_ALU | BPF_AND | BPF_K
            {0x15, 0, 1, SYN},              // jeq #0x02, drop, pass  BPF_JMP | BPF_JEQ | BPF_K
            {0x06, 0, 0, 0},                // drop: ret #0        BPF_RET | BPF_K
            {0x06, 0, 0, 0xffff_ffff},      // pass: ret #-1 (the whole segment)
    };

    private SynFilter() {
    }

    /**
     * Attaches the filter to {@code listener}; on its event loop.
     *
     * @return null when attached, else why not (another transport, or the kernel refused it)
     */
    static String attach(Channel listener) {
        if (!(listener instanceof UnixChannel)) {
            return "transport " + listener.getClass().getSimpleName() + " has no socket filters";
        }
        ByteBuffer program = Buffer.allocateDirectWithNativeOrder(PROGRAM.length * 8);
        for (int[] insn : PROGRAM) {
            program.putShort((short) insn[0]).put((byte) insn[1]).put((byte) insn[2]).putInt(insn[3]);
        }
        program.flip();
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the pointer aligned to its size
        int pointer = Buffer.addressSize();
        ByteBuffer fprog = Buffer.allocateDirectWithNativeOrder(2 * pointer);
        fprog.putShort(0, (short) PROGRAM.length);
        if (pointer == 8) {
            fprog.putLong(pointer, Buffer.memoryAddress(program));
        } else {
            fprog.putInt(pointer, (int) Buffer.memoryAddress(program));
        }
        try {
            // the kernel copies the program during the call; both buffers stay reachable until it returns
            boolean set = listener.config().setOption(
                    new RawUnixChannelOption("SO_ATTACH_FILTER", SOL_SOCKET, SO_ATTACH_FILTER, fprog.capacity()), fprog);
            return set ? null : "the transport ignored SO_ATTACH_FILTER";
        } catch (RuntimeException e) {
            return "SO_ATTACH_FILTER refused: " + e.getMessage();
        } finally {
            java.lang.ref.Reference.reachabilityFence(program);
            Buffer.free(program);
            Buffer.free(fprog);
        }
    }
}
