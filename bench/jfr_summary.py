#!/usr/bin/env python3
"""Bytes allocated per request, top allocation sites and top CPU frames of a JFR recording.

    python3 bench/jfr_summary.py RECORDING.jfr REQUESTS [TOP]

REQUESTS is how many requests the proxy served while it recorded (wrk's count). Allocated bytes
come from jdk.ThreadAllocationStatistics (the JVM's exact per-thread counters, sampled at the start
and the end of the recording): last minus first, summed over every thread, and for the
gatehouse-io event loops alone. The sites come from jdk.ObjectAllocationSample (a sample's weight
is the bytes it stands for), grouped by class and by the first frame in dev.gatehouse (else the top
frame); the CPU frames from jdk.ExecutionSample, by top frame. Used by bench/alloc.sh.
"""
import collections
import json
import subprocess
import sys


def events(jfr, name):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "24", "--events", name, jfr],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["recording"]["events"]


def frame_name(frame):
    m = frame["method"]
    return f'{m["type"]["name"]}.{m["name"]}:{frame.get("lineNumber", "?")}'


def site(stack):
    """The allocating frame, and the first dev.gatehouse frame under it (who asked)."""
    frames = (stack or {}).get("frames") or []
    if not frames:
        return "?"
    top = frame_name(frames[0])
    for f in frames:
        if f["method"]["type"]["name"].startswith("dev/gatehouse/"):
            return top if f is frames[0] else f"{top} <- {frame_name(f)}"
    return top


def main():
    jfr, requests = sys.argv[1], int(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    first, last, names = {}, {}, {}
    for e in events(jfr, "jdk.ThreadAllocationStatistics"):
        v = e["values"]
        t = v["thread"]
        if t is None:
            continue
        tid = t["javaThreadId"]
        names[tid] = t["javaName"] or t["osName"]
        first.setdefault(tid, v["allocated"])
        last[tid] = v["allocated"]
    total = sum(last[t] - first[t] for t in last)
    loops = sum(last[t] - first[t] for t in last if names[t].startswith("gatehouse-io"))
    per = lambda b: b / requests if requests else float("nan")
    print(f"bytes per request: {per(total):.0f} (whole JVM), {per(loops):.0f} (gatehouse-io event loops);"
          f" {total / 1e6:.1f} MB allocated for {requests} requests")
    samples = events(jfr, "jdk.ObjectAllocationSample")
    weight = sum(s["values"]["weight"] for s in samples) or 1
    by_site = collections.Counter()
    for s in samples:
        v = s["values"]
        by_site[(v["objectClass"]["name"], site(v.get("stackTrace")))] += v["weight"]
    print(f"top allocation sites (share of sampled bytes, {len(samples)} samples):")
    for (cls, where), w in by_site.most_common(top):
        print(f"  {100 * w / weight:5.1f}%  {per(w * total / weight):6.0f} B/req  {cls}  at {where}")
    cpu = events(jfr, "jdk.ExecutionSample")
    by_frame = collections.Counter()
    for s in cpu:
        frames = (s["values"].get("stackTrace") or {}).get("frames") or []
        if frames:
            by_frame[frame_name(frames[0])] += 1
    print(f"top CPU frames (share of {len(cpu)} execution samples):")
    for f, n in by_frame.most_common(top):
        print(f"  {100 * n / max(len(cpu), 1):5.1f}%  {f}")


if __name__ == "__main__":
    main()
