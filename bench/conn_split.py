#!/usr/bin/env python3
"""Where the event loop's time goes over a connection's life (accept, TLS handshake, one request,
close), two ways:

    python3 bench/conn_split.py RECORDING.jfr PERF.data [CONNECTIONS]

- by where the code lives, from perf's cpu-clock samples of the gatehouse-io threads with kernel
  call chains (uniform over all the thread's CPU time): the kernel, split by the system call it
  serves; BoringSSL (netty-tcnative's library); the JVM itself; Java (JIT-compiled code);
- the Java part in steps, from JFR's jdk.ExecutionSample (every millisecond; the JIT's inlined
  frames are in JFR's stacks, so a short method is seen where it runs): each sample goes to the
  step of the first frame, from the top of the stack down, that belongs to one, so what a step
  calls in another step is that step's (an engine's Java setup inside the SNI step counts as
  engine creation). JNI calls into BoringSSL run as native code and are in the first split.

Shares of samples, not times. Run on demand (bench/tls-cost.sh).
"""
import collections
import json
import re
import subprocess
import sys

# (step, class prefix or None, method-name pattern or None), checked in this order for each frame
STEPS = [
    ("JNI calls into BoringSSL (their Java side)", "io/netty/internal/tcnative/", None),
    ("socket call, its Java side: accept", "io/netty/channel/unix/Socket", r"^accept"),
    ("socket call, its Java side: close / shutdown", "io/netty/channel/unix/", r"^(close|shutdown)"),
    ("socket call, its Java side: read", "io/netty/channel/unix/", r"^read"),
    ("socket call, its Java side: write", "io/netty/channel/unix/", r"^(write|send)"),
    ("socket call, its Java side: epoll_ctl", "io/netty/channel/epoll/Native", r"^epollCtl"),
    ("socket call, its Java side: other (socket options, eventfd)", "io/netty/channel/unix/", None),
    ("socket call, its Java side: other (socket options, eventfd)", "io/netty/channel/epoll/Native", None),
    ("socket call, its Java side: other (socket options, eventfd)", "io/netty/channel/epoll/LinuxSocket", None),
    # io_uring (Netty's transport-classes-io_uring): what a connection's life submits to the ring and
    # reaps from it; the socket calls that stay plain calls are the "socket call" steps above
    ("io_uring: poll and cancel submissions (POLLIN, POLLRDHUP, their cancels at close)", "io/netty/channel/uring/AbstractIoUringChannel",
     r"^(schedulePoll|cancelOps|cancelOutstanding|pollAddComplete|pollIn|pollRdHup|cancelComplete)"),
    ("io_uring: poll and cancel submissions (POLLIN, POLLRDHUP, their cancels at close)", "io/netty/channel/uring/AbstractIoUringStreamChannel",
     r"^cancelOutstanding"),
    ("io_uring: read submission (the receive buffer allocated when it submits)", "io/netty/channel/uring/",
     r"^(scheduleRead|scheduleFirstRead|doBeginRead|scheduleReadProviderBuffer)"),
    ("io_uring: write submission", "io/netty/channel/uring/", r"^(scheduleWrite|doWrite|writeComplete)"),
    ("io_uring: close submission and delayed close", "io/netty/channel/uring/", r"^(doClose|closeNow|handleDelayedClosed|canCloseNow)"),
    ("accept and register", "io/netty/channel/uring/AbstractIoUringServerChannel", None),
    ("accept and register", "io/netty/channel/uring/IoUringServerSocketChannel", None),
    ("accept and register", "io/netty/channel/uring/IoUringSocketChannel", r"^<init>"),
    ("accept and register", "io/netty/channel/uring/AbstractIoUring", r"^(<init>|doRegister)"),
    ("accept and register", "io/netty/channel/uring/IoUringIoHandler", r"^register"),
    ("io_uring: ring submission and completion dispatch", "io/netty/channel/uring/SubmissionQueue", None),
    ("io_uring: ring submission and completion dispatch", "io/netty/channel/uring/CompletionQueue", None),
    ("io_uring: ring submission and completion dispatch", "io/netty/channel/uring/IoUringIoOps", None),
    ("io_uring: ring submission and completion dispatch", "io/netty/channel/uring/IoUringIoHandler", None),
    ("io_uring: ring submission and completion dispatch", "io/netty/channel/uring/Native", r"^ioUringEnter"),
    ("engine creation (SslContext.newHandler, the engine's setup)", "io/netty/handler/ssl/ReferenceCountedOpenSsl", r"^(<init>|newEngine|setKeyMaterial|setVerify|setClientAuth)"),
    ("engine creation (SslContext.newHandler, the engine's setup)", "io/netty/handler/ssl/SslContext", r"^newHandler"),
    ("engine creation (SslContext.newHandler, the engine's setup)", "io/netty/handler/ssl/SslHandler", r"^<init>"),
    ("engine release on close", "io/netty/handler/ssl/ReferenceCountedOpenSslEngine", r"^(shutdown|release|deallocate|closeInbound|closeOutbound)"),
    ("timers (handshake timeout, idle, close_notify)", "io/netty/handler/timeout/", None),
    ("timers (handshake timeout, idle, close_notify)", "io/netty/util/concurrent/AbstractScheduledEventExecutor", None),
    ("timers (handshake timeout, idle, close_notify)", "io/netty/util/concurrent/ScheduledFutureTask", None),
    ("timers (handshake timeout, idle, close_notify)", "io/netty/util/internal/DefaultPriorityQueue", None),
    ("timers (handshake timeout, idle, close_notify)", "io/netty/handler/ssl/SslHandler", r"^(applyHandshakeTimeout|safeClose)"),
    ("SNI: ClientHello parse and our certificate lookup", "io/netty/handler/ssl/SniHandler", None),
    ("SNI: ClientHello parse and our certificate lookup", "io/netty/handler/ssl/AbstractSniHandler", None),
    ("SNI: ClientHello parse and our certificate lookup", "io/netty/handler/ssl/SslClientHelloHandler", None),
    ("SNI: ClientHello parse and our certificate lookup", "dev/gatehouse/proxy/tls/CertificateTable", None),
    ("SNI: ClientHello parse and our certificate lookup", "dev/gatehouse/proxy/tls/ServerCertificates", None),
    ("SNI: ClientHello parse and our certificate lookup", "dev/gatehouse/proxy/tls/TlsHandshakes$CertificateSelector", None),
    ("our handshake observer (counter, ClientTls)", "dev/gatehouse/proxy/tls/", None),
    ("SslHandler (handshake driving, wrap/unwrap, close_notify)", "io/netty/handler/ssl/", None),
    ("per-connection objects (handlers, decoder, gate)", "dev/gatehouse/", r"^<init>$"),
    ("per-connection objects (handlers, decoder, gate)", "io/netty/handler/", r"^<init>$"),
    ("pipeline setup and teardown", "io/netty/channel/DefaultChannelPipeline", r"^(add|replace|remove|callHandler|internalAdd|newContext|generateName|checkMultiplicity|destroy|filterName|context0|checkDuplicateName)"),
    ("pipeline setup and teardown", "io/netty/channel/ChannelInitializer", None),
    ("pipeline setup and teardown", "io/netty/channel/DefaultChannelHandlerContext", r"^<init>"),
    ("pipeline setup and teardown", "io/netty/channel/AbstractChannelHandlerContext", r"^(<init>|callHandler|setRemoved|setAddComplete)"),
    ("pipeline setup and teardown", "dev/gatehouse/proxy/ClientPipeline", None),
    ("accept and register", "io/netty/bootstrap/ServerBootstrap", None),
    ("accept and register", "io/netty/channel/epoll/AbstractEpollServerChannel", None),
    ("accept and register", "io/netty/channel/epoll/EpollServerSocketChannel", None),
    ("accept and register", "io/netty/channel/epoll/EpollSocketChannel", r"^<init>"),
    ("accept and register", "io/netty/channel/AbstractChannel", r"^(<init>|register|newId)"),
    ("accept and register", "io/netty/channel/DefaultChannelId", None),
    ("close path (channel close, inactive, deregister)", "io/netty/channel/", r"(?i)(close|inactive|deregister|unregistered)"),
    ("metrics", "io/micrometer/", None),
    ("metrics", "dev/gatehouse/proxy/observe/", None),
    ("the request and its response (HTTP/1 and the proxy)", "dev/gatehouse/", None),
    ("the request and its response (HTTP/1 and the proxy)", "io/netty/handler/codec/", None),
]
COMPILED = [(step, cls, re.compile(m) if m else None) for step, cls, m in STEPS]
SYSCALL = re.compile(r"\b__(?:x64_)?sys_(\w+)|\b(?:__)?do_sys_(\w+)|\b__sys_(\w+)")
# inside io_uring_enter (or the task work run on the way out of any call): which operation the kernel runs
URING_OP = re.compile(r"\bio_(recv|recvmsg|send|sendmsg|send_zc|writev?|readv?|accept|close|connect|poll_add|arm_poll_handler|"
                      r"poll_task_func|async_cancel|try_cancel|cancel_req)\b|\b(?:__)?(tctx_task_work|io_handle_tw_list)\b")


def perf_split(record):
    """Shares of perf samples by where the code lives; kernel samples by the system call they serve."""
    out = subprocess.run(["perf", "script", "-i", record, "-F", "ip,sym,dso"], capture_output=True, text=True).stdout
    where = collections.Counter()
    for block in out.split("\n\n"):
        lines = [l.strip() for l in block.strip().splitlines() if l.strip()]
        if not lines:
            continue
        leaf = lines[0]
        if "kernel.kallsyms" in leaf or "[kernel" in leaf:
            name = None
            for l in lines:
                m = SYSCALL.search(l)
                if m:
                    name = next(g for g in m.groups() if g)
                    break
            op = None
            for l in lines:  # leaf first: the innermost io_uring operation
                m = URING_OP.search(l)
                if m:
                    op = m.group(1) or "task work"
                    break
            if op and name != "io_uring_enter":
                name = (name or "no system call") + ", io_uring " + op
            elif op:
                name += ": " + op
            where["kernel: " + (name or "no system call (softirq, scheduler)")] += 1
        elif "tcnative" in leaf:
            where["BoringSSL (libnetty_tcnative)"] += 1
        elif "libjvm" in leaf:
            where["the JVM (GC, JIT compiler, runtime)"] += 1
        elif "libc" in leaf:
            where["libc"] += 1
        else:
            where["Java (JIT-compiled code)"] += 1
    return where


def step(frames):
    for f in frames:
        cls = f["method"]["type"]["name"]
        name = f["method"]["name"]
        for s, prefix, m in COMPILED:
            if cls.startswith(prefix) and (m is None or m.search(name)):
                return s
    top = frames[0]["method"]["type"]["name"]
    if top.startswith("io/netty/"):
        return "event loop, buffers, pipeline dispatch (Netty, not above)"
    return "JDK and other (not above)"


def main():
    jfr = sys.argv[1]
    record = sys.argv[2]
    connections = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "128", "--events",
                          "jdk.ExecutionSample", jfr],
                         capture_output=True, text=True, check=True).stdout
    steps = collections.Counter()
    for e in json.loads(out)["recording"]["events"]:
        v = e["values"]
        thread = (v.get("sampledThread") or {}).get("javaName") or ""
        frames = (v.get("stackTrace") or {}).get("frames") or []
        if not thread.startswith("gatehouse-io") or not frames:
            continue
        steps[step(frames)] += 1
    where = perf_split(record)
    total = sum(where.values()) or 1
    per = f", {total / connections * 1000:.0f} per 1000 connections" if connections else ""
    print(f"event loop CPU by where the code lives (perf cpu-clock samples: {total}{per}):")
    for name, c in where.most_common():
        if 100 * c / total >= 0.3:
            print(f"  {100 * c / total:5.1f}%  {name}")
    n = sum(steps.values()) or 1
    print(f"the Java part by step (JFR execution samples: {n}):")
    for name, c in steps.most_common():
        print(f"  {100 * c / n:5.1f}%  {name}")


if __name__ == "__main__":
    main()
