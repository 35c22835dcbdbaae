#!/usr/bin/env python3
"""Per-thread CPU and run-queue wait of a process, from /proc (bench/p99.sh).

  threads.py snapshot PID            -> JSON on stdout: {tid: [name, cpu_ns, runqueue_wait_ns, timeslices, nonvoluntary_switches]}
  threads.py diff BEFORE AFTER SECS  -> JSON on stdout: per thread group, CPU ms and run-queue wait ms per second of the load

A thread group is the thread's name without its trailing numbers ("GC Thread#0" and "GC Thread#1" are
"GC Thread"; Netty's "gatehouse-data-1-1" is "gatehouse-data"), so a JVM's threads read as what they do.
Run-queue wait (the second field of /proc/.../schedstat) is the time a thread was ready to run but
another had the core: what the scheduler, not the program, adds to a request.
"""
import json
import os
import re
import sys


def snapshot(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        base = f"/proc/{pid}/task/{tid}"
        try:
            name = open(f"{base}/comm").read().strip()
            run, wait, slices = (int(v) for v in open(f"{base}/schedstat").read().split())
            status = open(f"{base}/status").read()
        except OSError:
            continue  # the thread ended meanwhile
        nonvol = int(re.search(r"nonvoluntary_ctxt_switches:\s+(\d+)", status).group(1))
        out[tid] = [name, run, wait, slices, nonvol]
    return out


def group(name):
    name = re.sub(r"[#-]?\d+$", "", name)
    name = re.sub(r"(-\d+)+$", "", name)
    return name.strip()


def diff(before, after, secs):
    groups = {}
    for tid, (name, run, wait, slices, nonvol) in after.items():
        b = before.get(tid, [name, 0, 0, 0, 0])
        g = groups.setdefault(group(name), {"threads": 0, "cpu_ms_per_s": 0.0, "wait_ms_per_s": 0.0, "preempted_per_s": 0.0})
        g["threads"] += 1
        g["cpu_ms_per_s"] += (run - b[1]) / 1e6 / secs
        g["wait_ms_per_s"] += (wait - b[2]) / 1e6 / secs
        g["preempted_per_s"] += (nonvol - b[4]) / secs
    return {k: v for k, v in groups.items() if v["cpu_ms_per_s"] > 0.05 or v["wait_ms_per_s"] > 0.05}


if __name__ == "__main__":
    if sys.argv[1] == "snapshot":
        json.dump(snapshot(sys.argv[2]), sys.stdout)
    elif sys.argv[1] == "diff":
        json.dump(diff(json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), float(sys.argv[4])), sys.stdout)
    else:
        sys.exit("usage: threads.py snapshot PID | diff BEFORE AFTER SECONDS")
