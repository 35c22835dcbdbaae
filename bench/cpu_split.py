#!/usr/bin/env python3
"""Where the event loop's CPU goes: the jdk.ExecutionSample events of a JFR recording, for the
gatehouse-io threads only, split two ways.

    python3 bench/cpu_split.py RECORDING.jfr [TOP]

- self: the top frame's code, in buckets (Netty's HTTP codec, its channel pipeline, its buffers,
  its epoll transport, each Gatehouse package, the JDK), as shares of the samples, then the top
  methods;
- inclusive: the share of samples with a method anywhere on the stack (a method counted once per
  sample), for Gatehouse's methods and Netty's codec entry points: what a request step costs with
  everything it calls.

Samples are taken only while the thread runs Java code: the time in system calls (bench/syscalls.sh
counts those) is not in them. Used by bench/syscalls.sh --jfr; run on demand.
"""
import collections
import json
import subprocess
import sys

BUCKETS = [
    ("io/netty/handler/codec/http/", "netty http codec"),
    ("io/netty/handler/codec/http2/", "netty http2 codec"),
    ("io/netty/handler/ssl/", "netty ssl (SslHandler, engine glue)"),
    ("io/netty/internal/tcnative/", "netty-tcnative (JNI into BoringSSL)"),
    ("io/netty/handler/codec/", "netty codec base (headers, message encoders)"),
    ("io/netty/channel/epoll/", "netty epoll transport"),
    ("io/netty/channel/uring/", "netty io_uring transport"),
    ("io/netty/channel/", "netty channel pipeline, promises, outbound buffer"),
    ("io/netty/buffer/", "netty buffers"),
    ("io/netty/util/concurrent/", "netty event loop, tasks, timers"),
    ("io/netty/", "netty other (util, recycler, strings)"),
    ("io/micrometer/", "micrometer"),
    ("java/", "jdk"),
    ("jdk/", "jdk"),
    ("sun/", "jdk"),
]


def bucket(cls):
    if cls.startswith("dev/gatehouse/"):
        parts = cls.split("/")
        return "gatehouse " + "/".join(parts[2:-1])
    for prefix, name in BUCKETS:
        if cls.startswith(prefix):
            return name
    return "other"


def method(frame):
    m = frame["method"]
    return f'{m["type"]["name"].replace("/", ".")}.{m["name"]}'


def main():
    jfr = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "96", "--events", "jdk.ExecutionSample", jfr],
                         capture_output=True, text=True, check=True).stdout
    samples = []
    for e in json.loads(out)["recording"]["events"]:
        v = e["values"]
        thread = (v.get("sampledThread") or {}).get("javaName") or ""
        frames = (v.get("stackTrace") or {}).get("frames") or []
        if thread.startswith("gatehouse-io") and frames:
            samples.append(frames)
    n = len(samples) or 1
    print(f"gatehouse-io execution samples: {len(samples)}")
    self_share = collections.Counter(bucket(f[0]["method"]["type"]["name"]) for f in samples)
    print("\nself (top frame), by code:")
    for name, c in self_share.most_common():
        print(f"  {100 * c / n:5.1f}%  {name}")
    by_method = collections.Counter(method(f[0]) for f in samples)
    print(f"\nself (top frame), top {top // 2} methods:")
    for name, c in by_method.most_common(top // 2):
        print(f"  {100 * c / n:5.1f}%  {name}")
    inclusive = collections.Counter()
    for frames in samples:
        seen = set()
        for f in frames:
            name = method(f)
            cls = f["method"]["type"]["name"]
            if name in seen:
                continue
            if cls.startswith("dev/gatehouse/") or cls.startswith("io/netty/handler/") or cls.startswith("io/netty/channel/epoll/"):
                seen.add(name)
        inclusive.update(seen)
    print(f"\ninclusive (on the stack), top {top}:")
    for name, c in inclusive.most_common(top):
        print(f"  {100 * c / n:5.1f}%  {name}")


if __name__ == "__main__":
    main()
